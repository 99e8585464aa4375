#pragma once
// EventStore: the durable log behind Forkline. Streams of opaque events, one per run,
// linked by forks; a global order across all streams; live notification of appends.
//
// Promises, for every implementation:
//  * An append is all-or-nothing and is acknowledged (its callback called with ok) only
//    after it is durable. Listeners see an event only after it is acknowledged.
//  * Versions of a history are contiguous from 1; positions are strictly increasing
//    and, for ReadAll, contiguous (no holes ever become visible later).
//  * A fork shares its source's prefix; nothing is copied, so creating one is O(1).
//  * After a failed sync every later append fails with kUnavailable until reopened.
// Thread safety: every method may be called from any thread at the same time.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eventstore/event.h"
#include "eventstore/status.h"

namespace forkline {

struct AppendRequest {
  std::string run_id;
  // The history's head version the writer decided on. A different head is kConflict.
  // 0 for a new stream (which must not exist yet).
  std::uint64_t expected_version = 0;
  // When set, creates `run_id` as a fork of the link and appends `events` after the
  // prefix in the same atomic write. `expected_version` must equal source_version.
  std::optional<ForkLink> fork_from;
  std::vector<NewEvent> events;  // at least one
  // The appender's lease token for `run_id` (fencing; 0 = none). A store shared by
  // several nodes (PostgreSQL) refuses the append with kUnavailable, writing nothing,
  // unless the run's lease still has this token. Single-node stores ignore it.
  std::uint64_t fence = 0;
};

struct AppendResult {
  EventList events;  // as stored: versions, positions and hashes filled in
};

class EventStore {
 public:
  using AppendCallback = std::function<void(Result<AppendResult>)>;
  using Listener = std::function<void(const EventList&)>;

  virtual ~EventStore() = default;

  // Appends atomically. `done` runs on the store's writer thread once the events are
  // durable, or with the error (kConflict, kNotFound for a missing fork source,
  // kTooLarge, kBadRequest, kUnavailable). `done` must not block.
  virtual void AppendAsync(AppendRequest request, AppendCallback done) = 0;
  // Blocking form of AppendAsync.
  Result<AppendResult> Append(AppendRequest request);
  // Stops taking appends (later ones fail with kUnavailable), commits the ones already
  // queued (their callbacks run) and returns once the writer thread has stopped, so that
  // no callback runs after it: a daemon closes its store before it stops the threads its
  // callbacks post to. Reads keep working. Idempotent; destruction closes too.
  virtual void Close() = 0;

  // kNotFound when the stream does not exist.
  virtual Result<StreamInfo> GetStream(std::string_view run_id) = 0;
  // Every stream, in no particular order (for rebuilding projections).
  virtual Result<std::vector<StreamInfo>> ListStreams() = 0;
  // The run's history after `after_version`, at most `limit` events, the fork prefix
  // first (recursively). kNotFound when the stream does not exist.
  virtual Result<EventList> ReadStream(std::string_view run_id, std::uint64_t after_version,
                                       std::size_t limit) = 0;
  // Calls `visit` with each event ReadStream(run_id, after_version, limit) returns, in the
  // same order, without keeping them: the Event lives only for the call (the store may
  // reuse it for the next one), so a long history is read without an allocation per
  // event. Returns the first error of the read or of `visit` (which stops the visit).
  // The default reads pages of ReadStream.
  using Visitor = std::function<Status(const Event&)>;
  virtual Status VisitStream(std::string_view run_id, std::uint64_t after_version,
                             std::size_t limit, const Visitor& visit);
  // Every stream's own events (never a fork's shared prefix twice) in global order,
  // positions after `after_position`, at most `limit`.
  virtual Result<EventList> ReadAll(std::uint64_t after_position, std::size_t limit) = 0;
  // The highest acknowledged position (0 for an empty store).
  virtual std::uint64_t LastPosition() = 0;

  // Listeners run on the writer thread after each durable commit, in position order,
  // before the appenders' callbacks of that commit.
  // They must not block and must not call AppendAsync's blocking form.
  virtual std::uint64_t Subscribe(Listener listener) = 0;
  virtual void Unsubscribe(std::uint64_t id) = 0;

  // Ok, or the latched error that stops appends (e.g. a failed sync).
  virtual Status Health() = 0;
  // A short name for /healthz and system.health: "rocksdb", "memory", "postgres".
  virtual std::string_view Backend() const = 0;

  // Writes a consistent copy of the whole store to `dir` (which must not exist yet)
  // while appends go on; the copy opens as a store of the same backend. kUnavailable
  // when the backend or mode cannot (the default: in-memory, read-only),
  // kConflict when `dir` exists.
  virtual Status Checkpoint(const std::string& dir);
};

}  // namespace forkline
