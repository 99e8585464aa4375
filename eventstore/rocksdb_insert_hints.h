#pragma once
// Memtable insert hints for the store's column families. A skiplist insert without a
// hint searches the whole memtable from the top; with one it starts from where the last
// key of the same prefix went. Every append writes keys that land next to an earlier
// one: the next version of a run (events), the next position (global), a run's head
// again (streams). Memory: RocksDB keeps one hint per prefix per memtable (~250 bytes),
// freed when the memtable is flushed.

#include <rocksdb/slice_transform.h>

#include <memory>

namespace forkline::rocks {

// events: the run id and its \0 (one hint per run). Keys without a \0 get none.
std::shared_ptr<const rocksdb::SliceTransform> RunPrefixHints();
// global: one hint for every position (the positions only grow).
std::shared_ptr<const rocksdb::SliceTransform> SingleHint();
// streams: the key itself (one hint per run, whose head is rewritten on every append).
std::shared_ptr<const rocksdb::SliceTransform> WholeKeyHints();

}  // namespace forkline::rocks
