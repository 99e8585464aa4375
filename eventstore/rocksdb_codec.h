#pragma once
// Keys and record encodings of the RocksDB store (layout in rocksdb_event_store.h).
// Records use the layout of cereal's portable binary archive (little endian; written and
// read by hand, with no stream in between), led by a format version so the schema can grow.

#include <cstdint>
#include <string>
#include <string_view>

#include "eventstore/event.h"
#include "eventstore/status.h"

namespace forkline::rocks {

// run_id \0 version (u64 big-endian): one stream's events sort by version.
std::string EventKey(std::string_view run_id, std::uint64_t version);
// Position (u64 big-endian): the global order.
std::string PositionKey(std::uint64_t position);
std::uint64_t DecodeU64(std::string_view be8);
// Splits an EventKey; false when it is not one.
bool ParseEventKey(std::string_view key, std::string* run_id, std::uint64_t* version);

std::string EncodeEvent(const Event& event);
// kInternal naming `key` when the bytes do not decode.
Result<Event> DecodeEvent(std::string_view bytes, std::string_view key);
// The same, into `*out` (whose fields are all overwritten): lets a reader decode straight
// into the shared Event it hands out, with no intermediate copy.
Status DecodeEventInto(std::string_view bytes, std::string_view key, Event* out);

std::string EncodeStream(const StreamInfo& info);
Result<StreamInfo> DecodeStream(std::string_view bytes, std::string_view key);

}  // namespace forkline::rocks
