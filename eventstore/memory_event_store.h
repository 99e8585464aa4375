#pragma once
// An in-memory EventStore for fast tests: same promises as the durable ones except
// that nothing survives the object.

#include <cstddef>
#include <memory>

#include "eventstore/event_store.h"

namespace forkline {

std::unique_ptr<EventStore> NewMemoryEventStore(std::size_t max_event_bytes = 16u << 20);

}  // namespace forkline
