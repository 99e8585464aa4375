#pragma once
// Test-only access to a stopped RocksDB store: overwrites one stored event record as
// given, bypassing every check the store makes (versions, the hash chain). It exists
// so that tests can tamper with a log and show that `forkline audit` notices.
// Never used by the daemon or the CLI.

#include <string>

#include "eventstore/event.h"
#include "eventstore/status.h"

namespace forkline {

// Writes `event` under (event.run_id, event.version) in the store at `path` (no process
// may have it open). kNotFound when there is no store there.
Status OverwriteRocksDbEventForTesting(const std::string& path, const Event& event);

}  // namespace forkline
