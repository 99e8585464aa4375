#include "clients/lib/sse_parser.h"

namespace forkline::client {

void SseParser::Feed(std::string_view bytes) {
  if (at_start_ && !bytes.empty()) {
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    // A BOM split across chunks is rare enough to be treated as data.
    if (bytes.substr(0, kBom.size()) == kBom) bytes.remove_prefix(kBom.size());
    at_start_ = false;
  }
  for (const char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // the LF of a CRLF
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      Line(line_);
      line_.clear();
    } else {
      line_.push_back(c);
    }
  }
}

void SseParser::Reset() {
  line_.clear();
  after_cr_ = false;
  at_start_ = true;
  type_.clear();
  data_.clear();
  id_.reset();
  has_data_ = false;
  id_buffer_ = last_event_id_;
}

void SseParser::Line(std::string_view line) {
  if (line.empty()) return Dispatch();
  if (line.front() == ':') {
    if (on_comment_) on_comment_(line.substr(1));
    return;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Field(line, "");
  std::string_view value = line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  Field(line.substr(0, colon), value);
}

void SseParser::Field(std::string_view name, std::string_view value) {
  if (name == "event") {
    type_ = std::string(value);
  } else if (name == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) {
      id_buffer_ = std::string(value);
      id_ = std::string(value);
    }
  } else if (name == "retry") {
    if (value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos) return;
    if (value.size() > 12) return;  // absurd; keep the old value
    retry_ms_ = std::stoull(std::string(value));
  }
}

void SseParser::Dispatch() {
  last_event_id_ = id_buffer_;  // even without data, as the spec says
  if (has_data_) {
    SseEvent event;
    if (!type_.empty()) event.type = type_;
    event.data = data_;
    event.data.pop_back();  // the trailing "\n"
    event.id = id_;
    event.last_event_id = last_event_id_;
    if (on_event_) on_event_(event);
  }
  type_.clear();
  data_.clear();
  id_.reset();
  has_data_ = false;
}

}  // namespace forkline::client
