#include "eventstore/event_store.h"

#include <future>

namespace forkline {

Result<AppendResult> EventStore::Append(AppendRequest request) {
  std::promise<Result<AppendResult>> promise;
  auto future = promise.get_future();
  AppendAsync(std::move(request),
              [&promise](Result<AppendResult> result) { promise.set_value(std::move(result)); });
  return future.get();
}

}  // namespace forkline
