#include "eventstore/rocksdb_codec.h"

#include <string_view>

namespace forkline::rocks {
namespace {

constexpr std::uint8_t kEventFormat = 1;
constexpr std::uint8_t kStreamFormat = 1;

void PutU64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

Status Corrupt(std::string_view what, std::string_view key, std::string_view why) {
  std::string printable;
  for (const char c : key) printable += c == '\0' ? '/' : c;
  return Status::Internal("corrupt " + std::string(what) + " record at key '" + printable +
                          "': " + std::string(why));
}

}  // namespace

std::string EventKey(std::string_view run_id, std::uint64_t version) {
  std::string key;
  key.reserve(run_id.size() + 9);
  key.append(run_id);
  key.push_back('\0');
  PutU64(key, version);
  return key;
}

std::string PositionKey(std::uint64_t position) {
  std::string key;
  PutU64(key, position);
  return key;
}

std::uint64_t DecodeU64(std::string_view be8) {
  std::uint64_t v = 0;
  for (const char c : be8.substr(0, 8)) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

bool ParseEventKey(std::string_view key, std::string* run_id, std::uint64_t* version) {
  if (key.size() < 10 || key[key.size() - 9] != '\0') return false;
  *run_id = std::string(key.substr(0, key.size() - 9));
  *version = DecodeU64(key.substr(key.size() - 8));
  return true;
}

// Writes the layout cereal's portable archive writes on a little-endian machine (see
// RecordReader below), straight into one string sized up front: records written by
// earlier builds with cereal and by this writer are byte for byte the same.
class RecordWriter {
 public:
  explicit RecordWriter(std::size_t reserve) {
    out_.reserve(reserve + 1);
    out_.push_back('\1');  // byte order: little endian
  }
  void U8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void Bool(bool v) { U8(v ? 1 : 0); }
  void U64(std::uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.append(b, 8);
  }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s.data(), s.size());
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string EncodeEvent(const Event& e) {
  const std::string* const strings[] = {&e.type, &e.at,        &e.command_id, &e.key,
                                        &e.data, &e.prev_hash, &e.hash};
  std::size_t size = 1 + (8 + e.run_id.size()) + 2 * 8;  // format, run id, version, position
  for (const std::string* f : strings) size += 8 + f->size();
  RecordWriter w(size);
  w.U8(kEventFormat);
  w.Str(e.run_id);
  w.U64(e.version);
  w.U64(e.position);
  for (const std::string* f : strings) w.Str(*f);
  return w.Take();
}

// Reads the layout cereal's portable archive writes, in place: one byte for the writer's
// byte order (1: little endian, cereal's default; 0: big), u8 format, then u64 for numbers,
// a u64 length before each string's bytes, one byte per bool. Every length is checked
// against the bytes left before anything is allocated, so a corrupt record can never ask
// for more memory than its own size (cereal resizes a string to whatever length it reads).
class RecordReader {
 public:
  explicit RecordReader(std::string_view bytes) : rest_(bytes) {}
  // Reads the byte-order marker; false when it is neither 0 nor 1.
  bool Start() {
    std::uint8_t order = 0;
    if (!U8(&order) || order > 1) return false;
    little_ = order == 1;
    return true;
  }
  bool U8(std::uint8_t* v) {
    if (rest_.empty()) return false;
    *v = static_cast<std::uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return true;
  }
  bool Bool(bool* v) {
    std::uint8_t b = 0;
    if (!U8(&b) || b > 1) return false;
    *v = b == 1;
    return true;
  }
  bool U64(std::uint64_t* v) {
    if (rest_.size() < 8) return false;
    std::uint64_t x = 0;
    for (int i = 0; i < 8; ++i) {
      const auto byte = static_cast<unsigned char>(rest_[little_ ? 7 - i : i]);
      x = (x << 8) | byte;
    }
    rest_.remove_prefix(8);
    *v = x;
    return true;
  }
  bool Str(std::string* s) {
    std::uint64_t n = 0;
    if (!U64(&n) || n > rest_.size()) return false;
    s->assign(rest_.data(), n);
    rest_.remove_prefix(n);
    return true;
  }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
  bool little_ = true;
};

constexpr const char* kMalformed = "truncated or malformed (a field runs past the record)";

Result<Event> DecodeEvent(std::string_view bytes, std::string_view key) {
  Event e;
  FL_RETURN_IF_ERROR(DecodeEventInto(bytes, key, &e));
  return e;
}

Status DecodeEventInto(std::string_view bytes, std::string_view key, Event* out) {
  Event& e = *out;
  RecordReader r(bytes);
  std::uint8_t format = 0;
  if (!r.Start()) return Corrupt("event", key, "bad byte-order marker");
  if (!r.U8(&format)) return Corrupt("event", key, kMalformed);
  if (format != kEventFormat) return Corrupt("event", key, "unknown format " + std::to_string(format));
  if (!(r.Str(&e.run_id) && r.U64(&e.version) && r.U64(&e.position) && r.Str(&e.type) &&
        r.Str(&e.at) && r.Str(&e.command_id) && r.Str(&e.key) && r.Str(&e.data) &&
        r.Str(&e.prev_hash) && r.Str(&e.hash))) {
    return Corrupt("event", key, kMalformed);
  }
  if (!r.done()) return Corrupt("event", key, "trailing bytes");
  return Status::Ok();
}

std::string EncodeStream(const StreamInfo& info) {
  const bool forked = info.parent.has_value();
  RecordWriter w(1 + 8 + info.run_id.size() + 8 + 8 + info.head_hash.size() + 1 +
                 (forked ? 8 + info.parent->source_run_id.size() + 8 : 0));
  w.U8(kStreamFormat);
  w.Str(info.run_id);
  w.U64(info.head_version);
  w.Str(info.head_hash);
  w.Bool(forked);
  if (forked) {
    w.Str(info.parent->source_run_id);
    w.U64(info.parent->source_version);
  }
  return w.Take();
}

Result<StreamInfo> DecodeStream(std::string_view bytes, std::string_view key) {
  StreamInfo info;
  RecordReader r(bytes);
  std::uint8_t format = 0;
  bool forked = false;
  if (!r.Start()) return Corrupt("stream", key, "bad byte-order marker");
  if (!r.U8(&format)) return Corrupt("stream", key, kMalformed);
  if (format != kStreamFormat) return Corrupt("stream", key, "unknown format " + std::to_string(format));
  if (!(r.Str(&info.run_id) && r.U64(&info.head_version) && r.Str(&info.head_hash) &&
        r.Bool(&forked))) {
    return Corrupt("stream", key, kMalformed);
  }
  if (forked) {
    ForkLink link;
    if (!(r.Str(&link.source_run_id) && r.U64(&link.source_version))) {
      return Corrupt("stream", key, kMalformed);
    }
    info.parent = std::move(link);
  }
  if (!r.done()) return Corrupt("stream", key, "trailing bytes");
  return info;
}

}  // namespace forkline::rocks
