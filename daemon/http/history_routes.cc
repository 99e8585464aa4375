#include "daemon/http/history_routes.h"

#include <charconv>
#include <filesystem>
#include <limits>

#include <boost/json.hpp>

#include "projections/fold.h"
#include "projections/run_json.h"
#include "tools/event_line.h"
#include "tools/replay.h"
#include "tools/run_diff.h"

namespace forkline {
namespace {

namespace json = boost::json;
constexpr std::size_t kPage = 10000;

// The run's whole history from the feed's wire lines (the canonical events).
Result<EventList> ReadHistory(EventFeed& feed, const std::string& run_id) {
  EventList out;
  for (std::uint64_t after = 0;;) {
    auto page = feed.ReadRun(run_id, after, kPage);
    if (!page.ok()) return page.status();
    for (const FeedItemPtr& item : *page) {
      auto e = tools::ParseEventLine(item->json);
      if (!e.ok())
        return Status::Internal("event " + run_id + "/" + std::to_string(item->version) +
                                " does not read back: " + e.status().message());
      out.push_back(std::make_shared<const Event>(std::move(e).value()));
    }
    if (page->size() < kPage) return out;
    after = out.back()->version;
  }
}

HttpReply JsonReply(const json::object& body) {
  return MakeReply(200, "application/json", json::serialize(body));
}

}  // namespace

HttpReply RunAtVersionReply(const Route& route, EventFeed& feed) {
  const std::string& text = route.query.find("at_version")->second;
  std::uint64_t version = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (ec != std::errc() || end != text.data() + text.size() || version == 0) {
    return ErrorReply(
        Status::BadRequest("at_version must be a positive integer, got \"" + text + "\""));
  }
  auto history = ReadHistory(feed, route.run_id);
  if (!history.ok()) return ErrorReply(history.status());
  tools::ReplayPoint point;
  point.until_version = version;
  auto state = tools::ReplayRun(route.run_id, *history, point);
  if (!state.ok()) return ErrorReply(state.status());
  return JsonReply({{"run", RunToJson(*state, RunDetail::kFull)}});
}

HttpReply RunDiffReply(const Route& route, EventFeed& feed) {
  auto ha = ReadHistory(feed, route.run_id);
  if (!ha.ok()) return ErrorReply(ha.status());
  auto hb = ReadHistory(feed, route.other_run_id);
  if (!hb.ok()) return ErrorReply(hb.status());
  auto a = Fold(*ha, Payloads::kKeep);
  if (!a.ok()) return ErrorReply(a.status());
  auto b = Fold(*hb, Payloads::kKeep);
  if (!b.ok()) return ErrorReply(b.status());
  return JsonReply(tools::DiffRuns({*ha, *a}, {*hb, *b}));
}

HttpReply BackupReply(std::string_view body,
                      const std::function<Status(const std::string&)>& backup) {
  if (!backup) return ErrorReply(Status::Unavailable("this daemon's store cannot be backed up"));
  boost::system::error_code ec;
  json::value v = json::parse(body.empty() ? std::string_view("{}") : body, ec);
  const json::value* dir = !ec && v.is_object() ? v.get_object().if_contains("dir") : nullptr;
  if (dir == nullptr || !dir->is_string() || dir->get_string().empty()) {
    return ErrorReply(Status::BadRequest("the body must be {\"dir\": \"/absolute/path\"}"));
  }
  const std::string path(dir->get_string());
  if (!std::filesystem::path(path).is_absolute()) {
    return ErrorReply(Status::BadRequest("dir must be an absolute path, got \"" + path + "\""));
  }
  if (Status s = backup(path); !s.ok()) return ErrorReply(s);
  return JsonReply({{"dir", path}});
}

}  // namespace forkline
