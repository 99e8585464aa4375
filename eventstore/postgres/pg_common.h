#pragma once
// Pieces every part of the PostgreSQL store shares: opening a session the store's way,
// the one place libpqxx exceptions become Forkline statuses, and decoding rows.

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "eventstore/event.h"
#include "eventstore/status.h"

#include <pqxx/pqxx>

namespace forkline::pg {

// Advisory lock spaces (first key of the two-key form; the second is hashtext(schema)).
constexpr int kPositionLockSpace = 0x466c0001;   // held by every appending transaction
constexpr int kMigrationLockSpace = 0x466c0002;  // held while migrating

// The NOTIFY channel every commit to `schema` notifies (letters and digits; the same
// on every node).
std::string ChannelFor(const std::string& schema);

// Connects (with WithNetworkDefaults(url)) and sets the session up: search_path =
// schema, synchronous_commit = on, UTF-8. Throws pqxx exceptions (see ToStatus).
std::unique_ptr<pqxx::connection> Connect(const std::string& url, const std::string& schema);

// `url` (a URI or key=value string) plus the libpq network settings it does not set
// itself, so that a server cut off without a word (no RST, no FIN) fails a session in
// seconds instead of TCP's ~15 minutes: connect_timeout=5 (s), keepalives=1,
// keepalives_idle=5, keepalives_interval=2, keepalives_count=3 (an idle session: ~11 s),
// tcp_user_timeout=5000 (ms: data sent and not acknowledged).
std::string WithNetworkDefaults(const std::string& url);

// The status for an exception thrown while doing `what`: lost connections and server
// shutdown → kUnavailable, unique violations → kConflict, bad data → kBadRequest,
// anything else → kInternal.
Status ToStatus(const std::exception& e, std::string_view what);

// The columns Decode* expect, in order, for SELECT lists.
constexpr const char* kEventColumns =
    "run_id, version, position, type, at, command_id, key, data, prev_hash, hash";
constexpr const char* kStreamColumns =
    "run_id, head_version, head_hash, parent_run_id, parent_version";

Event DecodeEvent(const pqxx::row& row);
StreamInfo DecodeStream(const pqxx::row& row);

// kBadRequest unless every text field of the request is UTF-8 without NUL bytes
// (PostgreSQL text holds nothing else).
Status CheckText(std::string_view field, std::string_view value);

}  // namespace forkline::pg
