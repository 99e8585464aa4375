#pragma once
// RocksDB's own diagnostics, warnings and errors only, to the process's stderr (where
// forklined's log goes) instead of a LOG file in the data folder. A LOG file shares the
// store's disk: once that disk is full, RocksDB writing its next line to the failed LOG
// file aborts the process (an assertion in the Debian build), and a full disk must only
// stop writes, never the daemon.

#include <rocksdb/env.h>

#include <memory>

namespace forkline::rocks {

std::shared_ptr<rocksdb::Logger> StderrLogger();

}  // namespace forkline::rocks
