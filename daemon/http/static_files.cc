#include "daemon/http/static_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace forkline {
namespace fs = std::filesystem;
namespace {

constexpr std::uintmax_t kMaxFileBytes = 64u << 20;

constexpr std::string_view kNotInstalledPage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Forkline</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Forkline</h1>
<p>The web UI is not installed: this daemon has no <code>web_dir</code> with an
<code>index.html</code>.</p>
<p>The API is at <a href="/v1/runs">/v1/runs</a>; health at <a href="/healthz">/healthz</a>;
metrics at <a href="/metrics">/metrics</a>.</p>
</body></html>
)";

// The relative path for a request path, or empty when it is not acceptable.
std::string SafeRelative(std::string_view path) {
  std::string rel;
  std::size_t start = path.empty() || path[0] != '/' ? 0 : 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (!seg.empty()) {
      if (seg[0] == '.' || seg.find('\0') != std::string_view::npos ||
          seg.find('\\') != std::string_view::npos) {
        return "";
      }
      if (!rel.empty()) rel += '/';
      rel += seg;
    }
    start = end + 1;
  }
  if (rel.empty() || path.back() == '/') rel += rel.empty() ? "index.html" : "/index.html";
  return rel;
}

bool Inside(const fs::path& root, const fs::path& file) {
  std::error_code ec;
  const fs::path r = fs::canonical(root, ec);
  if (ec) return false;
  const fs::path f = fs::canonical(file, ec);
  if (ec) return false;
  auto [ri, fi] = std::mismatch(r.begin(), r.end(), f.begin(), f.end());
  return ri == r.end();
}

HttpReply NotFound(std::string_view path) {
  return ErrorReply(Status::NotFound("no such file or route: " + std::string(path)));
}

}  // namespace

std::string_view ContentTypeFor(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : name.substr(dot + 1);
  if (ext == "html" || ext == "htm") return "text/html; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "gif") return "image/gif";
  if (ext == "webp") return "image/webp";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff") return "font/woff";
  if (ext == "woff2") return "font/woff2";
  if (ext == "wasm") return "application/wasm";
  return "application/octet-stream";
}

HttpReply ServeStatic(const std::string& web_dir, std::string_view path) {
  const std::string rel = SafeRelative(path);
  if (rel.empty()) return NotFound(path);
  const bool index = rel == "index.html";
  std::error_code ec;
  fs::path file = web_dir.empty() ? fs::path() : fs::path(web_dir) / rel;
  if (!file.empty() && fs::is_directory(file, ec)) file /= "index.html";
  if (file.empty() || !fs::is_regular_file(file, ec) || !Inside(web_dir, file)) {
    if (index) {
      return MakeReply(200, "text/html; charset=utf-8", std::string(kNotInstalledPage));
    }
    return NotFound(path);
  }
  if (fs::file_size(file, ec) > kMaxFileBytes || ec) {
    return ErrorReply(Status::Internal("cannot serve " + rel + ": too large or unreadable"));
  }
  std::ifstream in(file, std::ios::binary);
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return ErrorReply(Status::Internal("cannot read " + rel));
  return MakeReply(200, std::string(ContentTypeFor(file.filename().string())), std::move(body));
}

}  // namespace forkline
