#include "eventstore/rocksdb_codec.h"

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <bit>
#include <sstream>

namespace forkline::rocks {
namespace {

constexpr std::uint8_t kEventFormat = 1;
constexpr std::uint8_t kStreamFormat = 1;

// Reads bytes in place, without copying them into a stream.
class ViewBuf : public std::streambuf {
 public:
  explicit ViewBuf(std::string_view bytes) {
    char* begin = const_cast<char*>(bytes.data());  // get area only: never written
    setg(begin, begin, begin + bytes.size());
  }
};

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

// Reads the layout cereal's portable archive writes on a little-endian machine, in
// place: one endianness byte (1: little), u8 format, then u64 (LE) for numbers and a u64
// length before each string's bytes. Events are read far more often than written, and
// this skips building a stream and an archive per event.
class LittleEndianReader {
 public:
  explicit LittleEndianReader(std::string_view bytes) : rest_(bytes) {}
  bool U8(std::uint8_t* v) {
    if (rest_.empty()) return false;
    *v = static_cast<std::uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return true;
  }
  bool U64(std::uint64_t* v) {
    if (rest_.size() < 8) return false;
    std::uint64_t x = 0;
    for (int i = 7; i >= 0; --i) x = (x << 8) | static_cast<unsigned char>(rest_[i]);
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
};

bool FastDecode(std::string_view bytes, Event& e) {
  if constexpr (std::endian::native != std::endian::little) return false;
  LittleEndianReader r(bytes);
  std::uint8_t endian = 0, format = 0;
  return r.U8(&endian) && endian == 1 && r.U8(&format) && format == kEventFormat &&
         r.Str(&e.run_id) && r.U64(&e.version) && r.U64(&e.position) && r.Str(&e.type) &&
         r.Str(&e.at) && r.Str(&e.command_id) && r.Str(&e.key) && r.Str(&e.data) &&
         r.Str(&e.prev_hash) && r.Str(&e.hash) && r.done();
}

Result<Event> DecodeEvent(std::string_view bytes, std::string_view key) {
  Event e;
  if (FastDecode(bytes, e)) return e;
  e = Event{};
  try {
    ViewBuf buf(bytes);
    std::istream is(&buf);
    cereal::PortableBinaryInputArchive ar(is);
    std::uint8_t format = 0;
    ar(format);
    if (format != kEventFormat) return Corrupt("event", key, "unknown format " + std::to_string(format));
    ar(e.run_id, e.version, e.position, e.type, e.at, e.command_id, e.key, e.data, e.prev_hash,
       e.hash);
    if (is.peek() != std::char_traits<char>::eof()) return Corrupt("event", key, "trailing bytes");
  } catch (const std::exception& ex) {
    return Corrupt("event", key, ex.what());
  }
  return e;
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
  try {
    ViewBuf buf(bytes);
    std::istream is(&buf);
    cereal::PortableBinaryInputArchive ar(is);
    std::uint8_t format = 0;
    bool forked = false;
    ar(format);
    if (format != kStreamFormat) return Corrupt("stream", key, "unknown format " + std::to_string(format));
    ar(info.run_id, info.head_version, info.head_hash, forked);
    if (forked) {
      ForkLink link;
      ar(link.source_run_id, link.source_version);
      info.parent = std::move(link);
    }
  } catch (const std::exception& ex) {
    return Corrupt("stream", key, ex.what());
  }
  return info;
}

}  // namespace forkline::rocks
