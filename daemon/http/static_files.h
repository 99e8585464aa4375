#pragma once
// GET / and the web UI's files under web_dir, with content types by extension.
// Paths with "..", "." or hidden segments, and anything resolving outside web_dir
// (symlinks included), are 404. Without web_dir/index.html, GET / answers a small
// built-in page saying that the UI is not installed. Thread-safe (reads files only).

#include <string>
#include <string_view>

#include "daemon/http/api.h"

namespace forkline {

// The reply for a decoded request path such as "/" or "/js/app.js".
HttpReply ServeStatic(const std::string& web_dir, std::string_view path);

// "text/html; charset=utf-8" for "index.html", "application/octet-stream" if unknown.
std::string_view ContentTypeFor(std::string_view file_name);

}  // namespace forkline
