// The RocksDB store's record decoders on corrupt bytes from disk: the first byte is the
// key's length, then the key, then the value. DecodeEvent / DecodeStream never crash;
// what decodes re-encodes to a record that decodes to the same fields.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "eventstore/rocksdb_codec.h"
#include "tests/fuzz/fuzz_check.h"

using namespace forkline;

namespace {

bool Same(const Event& a, const Event& b) {
  return a.run_id == b.run_id && a.version == b.version && a.position == b.position &&
         a.type == b.type && a.at == b.at && a.command_id == b.command_id && a.key == b.key &&
         a.data == b.data && a.prev_hash == b.prev_hash && a.hash == b.hash;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t key_len = std::min<std::size_t>(data[0], size - 1);
  const std::string_view key(reinterpret_cast<const char*>(data + 1), key_len);
  const std::string_view value(reinterpret_cast<const char*>(data + 1 + key_len),
                               size - 1 - key_len);
  std::string run_id;
  std::uint64_t version = 0;
  rocks::ParseEventKey(key, &run_id, &version);

  auto event = rocks::DecodeEvent(value, key);
  if (event.ok()) {
    auto again = rocks::DecodeEvent(rocks::EncodeEvent(*event), key);
    FUZZ_CHECK(again.ok() && Same(*event, *again));
  } else {
    FUZZ_CHECK(!event.status().message().empty());
  }
  auto stream = rocks::DecodeStream(value, key);
  if (stream.ok()) {
    auto again = rocks::DecodeStream(rocks::EncodeStream(*stream), key);
    FUZZ_CHECK(again.ok() && again->head_version == stream->head_version &&
               again->head_hash == stream->head_hash && again->parent == stream->parent);
  }
  return 0;
}
