#include "daemon/http/sse_stream.h"

#include <algorithm>
#include <charconv>

namespace forkline {
namespace {

Result<std::uint64_t> ParseId(std::string_view what, std::string_view text) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::BadRequest(std::string(what) + " must be a non-negative integer, got \"" +
                              std::string(text) + "\"");
  }
  return n;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void AppendData(std::string& out, std::string_view json) {
  // Split on \r\n, \r or \n: each piece is one data: line.
  std::size_t start = 0;
  while (true) {
    const std::size_t brk = json.find_first_of("\r\n", start);
    out += "data: ";
    out += json.substr(start, brk == std::string_view::npos ? brk : brk - start);
    out += '\n';
    if (brk == std::string_view::npos) break;
    start = brk + 1;
    if (json[brk] == '\r' && start < json.size() && json[start] == '\n') ++start;
  }
}

}  // namespace

bool SseRequest::Wants(const FeedItem& item) const {
  if (!run_id.empty() && item.run_id != run_id) return false;
  if (!kind.empty() && item.kind != kind) return false;
  if (!types.empty() && std::find(types.begin(), types.end(), item.type) == types.end()) {
    return false;
  }
  return true;
}

Result<SseRequest> ParseSseRequest(const Route& route, std::string_view last_event_id) {
  SseRequest req;
  req.global = route.id == RouteId::kGlobalEvents;
  req.run_id = route.run_id;
  auto param = [&route](std::string_view name) -> std::string_view {
    auto it = route.query.find(name);
    return it == route.query.end() ? std::string_view() : std::string_view(it->second);
  };
  if (req.global) {
    req.run_id = param("run");
    req.kind = param("kind");
  }
  std::string_view types = param("types");
  while (!types.empty()) {
    const std::size_t comma = types.find(',');
    std::string_view one = Trim(types.substr(0, comma));
    if (!one.empty()) req.types.emplace_back(one);
    types = comma == std::string_view::npos ? std::string_view() : types.substr(comma + 1);
  }
  last_event_id = Trim(last_event_id);
  if (!last_event_id.empty()) {
    auto id = ParseId("Last-Event-ID", last_event_id);
    if (!id.ok()) return id.status();
    req.after = *id;
  } else if (!param("after").empty()) {
    auto id = ParseId("after", param("after"));
    if (!id.ok()) return id.status();
    req.after = *id;
  }
  const std::string_view until = param("until");
  if (!until.empty() && until != "terminal") {
    return Status::BadRequest("until must be \"terminal\", got \"" + std::string(until) + "\"");
  }
  req.until_terminal = until == "terminal";
  return req;
}

Frame EncodeFrame(const FeedItem& item, bool id_is_position) {
  std::string out;
  out.reserve(item.json.size() + item.type.size() + 40);
  out += "event: ";
  out += item.type;
  out += '\n';
  if (!item.transient) {
    char buf[24];
    const std::uint64_t id = id_is_position ? item.position : item.version;
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, id);
    out += "id: ";
    out.append(buf, ec == std::errc() ? end : buf);
    out += '\n';
  }
  AppendData(out, item.json);
  out += '\n';
  return std::make_shared<const std::string>(std::move(out));
}

const Frame& RetryFrame() {
  static const Frame frame = std::make_shared<const std::string>("retry: 1000\n\n");
  return frame;
}

const Frame& KeepaliveFrame() {
  static const Frame frame = std::make_shared<const std::string>(": keepalive\n\n");
  return frame;
}

}  // namespace forkline
