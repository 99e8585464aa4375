#include "tools/replay.h"

#include <cctype>

#include "projections/fold.h"

namespace forkline::tools {

Result<std::string> NormalizeTime(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  const std::string_view shape = "dddd-dd-ddTdd:dd:dd";
  auto bad = [&] {
    return Status::BadRequest(
        "time must be RFC 3339 UTC like 2026-11-29T18:40:00Z or "
        "2026-11-29T18:40:00.123Z, got '" +
        std::string(t) + "'");
  };
  if (t.size() < shape.size() + 1 || t.back() != 'Z') return bad();
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(t[i])) != 0;
    if (shape[i] == 'd' ? !digit : t[i] != shape[i]) return bad();
  }
  std::string_view frac = t.substr(shape.size(), t.size() - shape.size() - 1);
  if (frac.empty()) return std::string(t.substr(0, shape.size())) + ".000Z";
  if (frac.size() != 4 || frac[0] != '.') return bad();
  for (char c : frac.substr(1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return bad();
  }
  return std::string(t);
}

Result<RunState> ReplayRun(const std::string& run_id, const EventList& history,
                           const ReplayPoint& point) {
  EventList cut;
  if (point.until_version) {
    if (*point.until_version == 0) return Status::BadRequest("versions start at 1");
    if (history.empty() || *point.until_version > history.back()->version) {
      return Status::NotFound("run " + run_id + " has no version " +
                              std::to_string(*point.until_version) + " (its head is " +
                              std::to_string(history.empty() ? 0 : history.back()->version) + ")");
    }
    for (const EventPtr& e : history) {
      if (e->version > *point.until_version) break;
      cut.push_back(e);
    }
  } else if (point.until_time) {
    auto t = NormalizeTime(*point.until_time);
    if (!t.ok()) return t.status();
    for (const EventPtr& e : history) {
      if (e->at > *t) break;
      cut.push_back(e);
    }
    if (cut.empty()) return Status::NotFound("run " + run_id + " did not exist yet at " + *t);
  } else {
    cut = history;
  }
  auto state = Fold(cut, Payloads::kKeep);
  if (!state.ok()) return state.status();
  state->id = run_id;
  return state;
}

}  // namespace forkline::tools
