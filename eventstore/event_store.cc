#include "eventstore/event_store.h"

#include <algorithm>
#include <future>

namespace forkline {

Result<AppendResult> EventStore::Append(AppendRequest request) {
  std::promise<Result<AppendResult>> promise;
  auto future = promise.get_future();
  AppendAsync(std::move(request),
              [&promise](Result<AppendResult> result) { promise.set_value(std::move(result)); });
  return future.get();
}

Status EventStore::VisitStream(std::string_view run_id, std::uint64_t after_version,
                               std::size_t limit, const Visitor& visit) {
  constexpr std::size_t kPage = 4096;
  std::size_t left = limit;
  while (left > 0) {
    auto page = ReadStream(run_id, after_version, std::min(left, kPage));
    if (!page.ok()) return page.status();
    for (const EventPtr& e : *page) FL_RETURN_IF_ERROR(visit(*e));
    if (page->size() < std::min(left, kPage)) break;
    left -= page->size();
    after_version = page->back()->version;
  }
  return Status::Ok();
}

Status EventStore::Checkpoint(const std::string& /*dir*/) {
  return Status::Unavailable("the " + std::string(Backend()) + " store cannot take a checkpoint");
}

}  // namespace forkline
