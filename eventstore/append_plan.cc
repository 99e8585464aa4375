#include "eventstore/append_plan.h"

#include <algorithm>

#include "eventstore/canonical.h"

namespace forkline {

Status ValidateAppend(const AppendRequest& request, std::size_t max_event_bytes) {
  if (request.run_id.empty() || request.run_id.size() > 200) {
    return Status::BadRequest("run id must be 1 to 200 bytes");
  }
  if (request.run_id.find('\0') != std::string::npos) {
    return Status::BadRequest("run id must not contain NUL bytes");
  }
  if (request.events.empty()) return Status::BadRequest("append of no events");
  if (request.fork_from) {
    if (request.fork_from->source_run_id == request.run_id) {
      return Status::BadRequest("a run cannot fork itself");
    }
    if (request.expected_version != request.fork_from->source_version) {
      return Status::BadRequest("a fork's expected version must equal its source version");
    }
  }
  for (const NewEvent& e : request.events) {
    if (e.type.empty()) return Status::BadRequest("event without a type");
    const std::size_t size = e.type.size() + e.data.size() + e.key.size() + e.command_id.size();
    if (size > max_event_bytes) {
      return Status::TooLarge("event " + e.type + " is " + std::to_string(size) +
                              " bytes; the limit is " + std::to_string(max_event_bytes));
    }
  }
  return Status::Ok();
}

namespace {

// The head an append builds on: (version, hash), or the error that refuses it.
Result<std::pair<std::uint64_t, std::string>> BaseOf(const AppendRequest& request,
                                                     const AppendContext& ctx) {
  if (request.fork_from) {
    if (ctx.stream) return Status::Conflict("run " + request.run_id + " already exists");
    const ForkLink& link = *request.fork_from;
    if (!ctx.fork_source) return Status::NotFound("fork source " + link.source_run_id + " does not exist");
    if (link.source_version > ctx.fork_source->head_version) {
      return Status::NotFound("fork source " + link.source_run_id + " has no version " +
                              std::to_string(link.source_version));
    }
    return std::make_pair(link.source_version, ctx.fork_source_hash);
  }
  const std::uint64_t head = ctx.stream ? ctx.stream->head_version : 0;
  if (!ctx.stream && request.expected_version != 0) {
    return Status::NotFound("run " + request.run_id + " does not exist");
  }
  if (head != request.expected_version) {
    return Status::Conflict("run " + request.run_id + " is at version " + std::to_string(head) +
                            ", expected " + std::to_string(request.expected_version));
  }
  return std::make_pair(head, ctx.stream ? ctx.stream->head_hash : std::string());
}

}  // namespace

Result<std::vector<Event>> PlanAppend(const AppendRequest& request, const AppendContext& ctx,
                                      std::uint64_t first_position) {
  auto base = BaseOf(request, ctx);
  if (!base.ok()) return base.status();
  auto [version, prev_hash] = std::move(base).value();
  std::vector<Event> out;
  out.reserve(request.events.size());
  for (const NewEvent& n : request.events) {
    Event e;
    e.run_id = request.run_id;
    e.version = ++version;
    e.position = first_position++;
    e.type = n.type;
    e.at = n.at;
    e.command_id = n.command_id;
    e.key = n.key;
    e.data = n.data;
    e.prev_hash = std::move(prev_hash);
    e.hash = EventHash(e);
    prev_hash = e.hash;
    out.push_back(std::move(e));
  }
  return out;
}

StreamInfo StreamAfter(const AppendRequest& request, const AppendContext& ctx,
                       const std::vector<Event>& events) {
  StreamInfo info = ctx.stream.value_or(StreamInfo{});
  info.run_id = request.run_id;
  if (request.fork_from) info.parent = request.fork_from;
  info.head_version = events.back().version;
  info.head_hash = events.back().hash;
  return info;
}

Result<std::vector<Segment>> ResolveSegments(std::string_view run_id, std::uint64_t after_version,
                                             const StreamLookup& lookup) {
  std::vector<Segment> reversed;
  std::string current(run_id);
  std::uint64_t last = UINT64_MAX;  // the highest version of `current` in the history
  for (int depth = 0;; ++depth) {
    if (depth > 10000) return Status::Internal("fork chain of " + std::string(run_id) + " loops");
    auto info = lookup(current);
    if (!info.ok()) {
      if (depth == 0) return info.status();
      return Status::Internal("fork source " + current + " is missing from the store");
    }
    const std::uint64_t own_first = info->parent ? info->parent->source_version + 1 : 1;
    const std::uint64_t own_last = std::min(last, info->head_version);
    const std::uint64_t first = std::max(own_first, after_version + 1);
    if (first <= own_last) reversed.push_back({current, first, own_last});
    if (!info->parent || info->parent->source_version <= after_version) break;
    // A fork of a fork may branch inside the prefix it inherited: never read past it.
    last = std::min(last, info->parent->source_version);
    current = info->parent->source_run_id;
  }
  return std::vector<Segment>(reversed.rbegin(), reversed.rend());
}

}  // namespace forkline
