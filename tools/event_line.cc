#include "tools/event_line.h"

#include <charconv>

#include <boost/json/parse.hpp>

#include "eventstore/canonical.h"
#include "projections/run_json.h"

namespace forkline::tools {
namespace {

namespace json = boost::json;

// A cursor over the line that finds the raw span of each JSON value.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool AtEnd() {
    SkipSpace();
    return i_ == s_.size();
  }
  // The raw text of the next value (string, number, literal, object or array).
  Result<std::string_view> Value() {
    SkipSpace();
    const std::size_t start = i_;
    if (i_ >= s_.size()) return Status::BadRequest("a value is missing at the end of the line");
    const char c = s_[i_];
    if (c == '"') {
      FL_RETURN_IF_ERROR(SkipString());
    } else if (c == '{' || c == '[') {
      int depth = 0;
      for (;;) {
        if (i_ >= s_.size()) return Status::BadRequest("the line ends inside a value");
        const char d = s_[i_];
        if (d == '"') {
          FL_RETURN_IF_ERROR(SkipString());
          continue;
        }
        ++i_;
        if (d == '{' || d == '[') ++depth;
        if ((d == '}' || d == ']') && --depth == 0) break;
      }
    } else {
      while (i_ < s_.size() &&
             std::string_view(",}] \t\r\n").find(s_[i_]) == std::string_view::npos)
        ++i_;
    }
    if (i_ == start)
      return Status::BadRequest("a value is missing at byte " + std::to_string(start));
    return s_.substr(start, i_ - start);
  }

 private:
  Status SkipString() {
    ++i_;  // the opening quote
    while (i_ < s_.size()) {
      if (s_[i_] == '\\') {
        i_ += 2;
      } else if (s_[i_++] == '"') {
        return Status::Ok();
      }
    }
    return Status::BadRequest("a string is not closed");
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

Result<std::string> StringValue(std::string_view raw, std::string_view key) {
  if (raw == "null") return std::string();
  boost::system::error_code ec;
  json::value v = json::parse(raw, ec);
  if (ec || !v.is_string())
    return Status::BadRequest("\"" + std::string(key) + "\" must be a string");
  return std::string(v.get_string());
}

Result<std::uint64_t> NumberValue(std::string_view raw, std::string_view key) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), n);
  if (ec != std::errc() || end != raw.data() + raw.size()) {
    return Status::BadRequest("\"" + std::string(key) + "\" must be a non-negative integer");
  }
  return n;
}

Status SetField(Event& e, const std::string& key, std::string_view raw) {
  if (key == "data") {
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = kMaxJsonDepth;
    json::value v = json::parse(raw, ec, {}, options);
    if (ec || !v.is_object()) return Status::BadRequest("\"data\" must be a JSON object");
    e.data = std::string(raw);
    return Status::Ok();
  }
  if (key == "version" || key == "position") {
    auto n = NumberValue(raw, key);
    if (!n.ok()) return n.status();
    (key == "version" ? e.version : e.position) = *n;
    return Status::Ok();
  }
  std::string* field = key == "run_id"       ? &e.run_id
                       : key == "type"       ? &e.type
                       : key == "at"         ? &e.at
                       : key == "command_id" ? &e.command_id
                       : key == "key"        ? &e.key
                       : key == "prev_hash"  ? &e.prev_hash
                       : key == "hash"       ? &e.hash
                                             : nullptr;
  if (field == nullptr) return Status::Ok();  // e.g. the SSE "run" brief
  auto s = StringValue(raw, key);
  if (!s.ok()) return s.status();
  *field = std::move(s).value();
  return Status::Ok();
}

}  // namespace

Result<Event> ParseEventLine(std::string_view line) {
  Scanner sc(line);
  if (!sc.Eat('{')) return Status::BadRequest("an event line must be a JSON object");
  Event e;
  bool has_data = false;
  if (!sc.Eat('}')) {
    do {
      auto raw_key = sc.Value();
      if (!raw_key.ok()) return raw_key.status();
      auto key = StringValue(*raw_key, "key");
      if (!key.ok()) return Status::BadRequest("an object key must be a string");
      if (!sc.Eat(':')) return Status::BadRequest("':' missing after \"" + *key + "\"");
      auto raw = sc.Value();
      if (!raw.ok()) return raw.status();
      FL_RETURN_IF_ERROR(SetField(e, *key, *raw));
      has_data = has_data || *key == "data";
    } while (sc.Eat(','));
    if (!sc.Eat('}')) return Status::BadRequest("',' or '}' expected");
  }
  if (!sc.AtEnd()) return Status::BadRequest("text after the event object");
  if (e.run_id.empty()) return Status::BadRequest("\"run_id\" is missing");
  if (e.version == 0) return Status::BadRequest("\"version\" is missing or 0");
  if (e.type.empty()) return Status::BadRequest("\"type\" is missing");
  if (!has_data) return Status::BadRequest("\"data\" is missing");
  return e;
}

std::string EventLine(const Event& event) {
  return CanonicalJson(event, CanonicalForm::kFull);
}

}  // namespace forkline::tools
