#include "eventstore/rocksdb_codec.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <sstream>

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

std::string EncodeEvent(const Event& e) {
  std::ostringstream os(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(kEventFormat, e.run_id, e.version, e.position, e.type, e.at, e.command_id, e.key, e.data,
       e.prev_hash, e.hash);
  }
  return std::move(os).str();
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
  std::ostringstream os(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    const bool forked = info.parent.has_value();
    ar(kStreamFormat, info.run_id, info.head_version, info.head_hash, forked);
    if (forked) ar(info.parent->source_run_id, info.parent->source_version);
  }
  return std::move(os).str();
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
