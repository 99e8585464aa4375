#include "daemon/executors/chat_stream.h"

#include <array>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace forkline {
namespace {

constexpr std::array<std::string_view, 5> kReservedParams = {"system", "json", "model", "messages",
                                                             "stream"};

std::string Excerpt(std::string_view s, std::size_t limit = 200) {
  if (s.size() <= limit) return std::string(s);
  return std::string(s.substr(0, limit)) + "…";
}

Status Malformed(std::string_view data, std::string_view why) {
  return Status::BadRequest("malformed chunk in the response stream (" + std::string(why) +
                            "): " + Excerpt(data));
}

std::int64_t IntOr(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return 0;
  if (const auto* i = it->value().if_int64()) return *i;
  if (const auto* u = it->value().if_uint64()) return static_cast<std::int64_t>(*u);
  return 0;
}

std::string StringOr(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return std::string(it->value().get_string());
}

// choices[0] when the chunk has one; nullptr when `choices` is absent or empty; an
// error when it is there but not a list of objects.
Result<const boost::json::object*> FirstChoice(const boost::json::object& chunk,
                                               std::string_view data) {
  auto it = chunk.find("choices");
  if (it == chunk.end() || it->value().is_null()) return nullptr;
  const auto* choices = it->value().if_array();
  if (choices == nullptr) return Malformed(data, "choices is not a list");
  if (choices->empty()) return nullptr;
  const auto* first = (*choices)[0].if_object();
  if (first == nullptr) return Malformed(data, "choices[0] is not an object");
  return first;
}

}  // namespace

boost::json::object BuildChatRequest(std::string_view model, std::string_view system,
                                     std::string_view prompt, const boost::json::object& params,
                                     bool include_usage) {
  boost::json::object body;
  body["model"] = model;
  boost::json::array messages;
  if (!system.empty()) {
    messages.push_back(boost::json::object{{"role", "system"}, {"content", system}});
  }
  messages.push_back(boost::json::object{{"role", "user"}, {"content", prompt}});
  body["messages"] = std::move(messages);
  body["stream"] = true;
  if (include_usage) body["stream_options"] = boost::json::object{{"include_usage", true}};
  for (const auto& [key, value] : params) {
    bool reserved = false;
    for (std::string_view r : kReservedParams) {
      reserved = reserved || key == r;
    }
    if (!reserved) body[key] = value;
  }
  return body;
}

Status SseParser::Feed(std::string_view bytes, const DataFn& on_data) {
  while (!bytes.empty()) {
    const std::size_t nl = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, nl);
    if (line_.size() + piece.size() > max_event_bytes_) {
      return Status::TooLarge("a line of the response stream exceeds " +
                              std::to_string(max_event_bytes_) + " bytes");
    }
    if (nl == std::string_view::npos) {
      line_.append(piece);
      break;
    }
    bytes.remove_prefix(nl + 1);
    std::string_view line = piece;
    if (!line_.empty()) {
      line_.append(piece);
      line = line_;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    Status s = Line(line, on_data);
    line_.clear();
    FL_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

Status SseParser::Finish(const DataFn& on_data) {
  if (!line_.empty()) {
    std::string last = std::move(line_);
    line_.clear();
    if (!last.empty() && last.back() == '\r') last.pop_back();
    FL_RETURN_IF_ERROR(Line(last, on_data));
  }
  return Line("", on_data);
}

Status SseParser::Line(std::string_view line, const DataFn& on_data) {
  if (line.empty()) {  // end of an event
    if (!has_data_) return Status::Ok();
    std::string data = std::move(data_);
    data_.clear();
    has_data_ = false;
    return on_data(data);
  }
  if (line.front() == ':') return Status::Ok();  // comment (keep-alive)
  const std::size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  if (field != "data") return Status::Ok();  // event, id, retry: not used here
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (data_.size() + value.size() + 1 > max_event_bytes_) {
    return Status::TooLarge("an event of the response stream exceeds " +
                            std::to_string(max_event_bytes_) + " bytes");
  }
  if (has_data_) data_.push_back('\n');
  data_.append(value);
  has_data_ = true;
  return Status::Ok();
}

void ChatAccumulator::TakeCommon(const boost::json::object& chunk) {
  if (std::string m = StringOr(chunk, "model"); !m.empty()) model_ = std::move(m);
  auto usage = chunk.find("usage");
  if (usage != chunk.end() && usage->value().is_object()) {
    const auto& u = usage->value().get_object();
    usage_ = ChatUsage{IntOr(u, "prompt_tokens"), IntOr(u, "completion_tokens")};
  }
}

Status ChatAccumulator::Consume(std::string_view data, std::string* delta) {
  delta->clear();
  if (data == "[DONE]") {
    done_ = true;
    return Status::Ok();
  }
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(data, ec);
  if (ec) return Malformed(data, "not JSON: " + ec.message());
  const auto* chunk = parsed.if_object();
  if (chunk == nullptr) return Malformed(data, "not a JSON object");
  if (auto err = chunk->find("error"); err != chunk->end()) {
    return Status::Unavailable("the server reported an error mid-stream: " + ErrorMessageOf(data));
  }
  TakeCommon(*chunk);
  auto choice = FirstChoice(*chunk, data);
  if (!choice.ok()) return choice.status();
  if (*choice == nullptr) return Status::Ok();  // e.g. the final usage-only chunk
  const boost::json::object& first = **choice;
  if (std::string f = StringOr(first, "finish_reason"); !f.empty()) finish_reason_ = std::move(f);
  auto d = first.find("delta");
  if (d == first.end() || d->value().is_null()) return Status::Ok();
  const auto* delta_object = d->value().if_object();
  if (delta_object == nullptr) return Malformed(data, "delta is not an object");
  auto content = delta_object->find("content");
  if (content == delta_object->end() || content->value().is_null()) return Status::Ok();
  const auto* text = content->value().if_string();
  if (text == nullptr) return Malformed(data, "delta.content is not a string");
  delta->assign(text->data(), text->size());
  text_.append(*delta);
  return Status::Ok();
}

Status ChatAccumulator::ConsumeCompletion(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(body, ec);
  const auto* reply = parsed.if_object();
  if (ec || reply == nullptr) return Malformed(body, "the reply is not a JSON object");
  TakeCommon(*reply);
  auto choice = FirstChoice(*reply, body);
  if (!choice.ok()) return choice.status();
  if (*choice == nullptr) return Malformed(body, "the reply has no choices");
  const boost::json::object& first = **choice;
  finish_reason_ = StringOr(first, "finish_reason");
  auto message = first.find("message");
  if (message == first.end() || !message->value().is_object()) {
    return Malformed(body, "choices[0].message is missing");
  }
  text_ = StringOr(message->value().get_object(), "content");
  done_ = true;
  return Status::Ok();
}

std::string ErrorMessageOf(std::string_view body, std::size_t limit) {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    const auto& o = parsed.get_object();
    if (auto e = o.find("error"); e != o.end()) {
      if (e->value().is_string()) return Excerpt(e->value().get_string(), limit);
      if (e->value().is_object()) {
        std::string m = StringOr(e->value().get_object(), "message");
        if (!m.empty()) return Excerpt(m, limit);
      }
    }
    for (std::string_view key : {"message", "detail"}) {
      std::string m = StringOr(o, key);
      if (!m.empty()) return Excerpt(m, limit);
    }
  }
  return Excerpt(body, limit);
}

}  // namespace forkline
