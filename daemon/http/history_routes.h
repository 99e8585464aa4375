#pragma once
// HTTP routes answered from the log itself rather than by a command (internal to
// daemon/http):
//   GET /v1/runs/{id}?at_version=N  the run JSON of GET /v1/runs/{id}, folded from the
//                                   history up to version N (400 for a value that is not
//                                   a positive integer, 404 for a version past the head)
//   GET /v1/runs/{a}/diff/{b}       tools::DiffRuns of the two runs (404 for an unknown run)
//   POST /v1/admin/backup {"dir"}   HttpOptions::backup into an absolute, new folder
// Blocking reads of the EventFeed; called on an HTTP io thread. Thread-safe.

#include <functional>
#include <string>
#include <string_view>

#include "daemon/api/feed.h"
#include "daemon/http/api.h"
#include "daemon/http/router.h"

namespace forkline {

HttpReply RunAtVersionReply(const Route& route, EventFeed& feed);
HttpReply RunDiffReply(const Route& route, EventFeed& feed);
HttpReply BackupReply(std::string_view body,
                      const std::function<Status(const std::string&)>& backup);

}  // namespace forkline
