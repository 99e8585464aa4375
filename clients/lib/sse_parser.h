#pragma once
// An incremental parser for text/event-stream (the WHATWG "server-sent events" rules):
// lines end in CRLF, LF or CR (also split across chunks); a blank line dispatches the
// event; "data" lines are joined with "\n"; "event" sets the type (default "message");
// "id" sets the last event id (ignored when it contains NUL), which takes effect when the
// event is dispatched (so a reconnect never skips an event cut off mid-way) and persists
// across events; "retry" with only digits sets the reconnection delay; lines starting with ':'
// are comments; one space after the colon is dropped; unknown fields are ignored; an
// event with no data is not dispatched. A leading UTF-8 BOM is skipped.
//
// Thread safety: none.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace forkline::client {

struct SseEvent {
  std::string type = "message";   // the event: field
  std::string data;               // data: lines joined with "\n"
  std::optional<std::string> id;  // this event's own id: field, if it had one
  std::string last_event_id;      // the stream's last event id when dispatched
};

class SseParser {
 public:
  using EventFn = std::function<void(const SseEvent&)>;
  using CommentFn = std::function<void(std::string_view)>;

  explicit SseParser(EventFn on_event, CommentFn on_comment = nullptr)
      : on_event_(std::move(on_event)), on_comment_(std::move(on_comment)) {}

  // Feeds the next bytes of the stream.
  void Feed(std::string_view bytes);
  // Call when a connection ends: an unterminated event is dropped (as the spec says) and
  // the next connection starts on a fresh line. The last event id and retry survive.
  void Reset();

  const std::string& last_event_id() const { return last_event_id_; }
  void set_last_event_id(std::string id) {
    last_event_id_ = id;
    id_buffer_ = std::move(id);
  }
  // The last valid retry: value in milliseconds, if any.
  std::optional<std::uint64_t> retry_ms() const { return retry_ms_; }

 private:
  void Line(std::string_view line);
  void Field(std::string_view name, std::string_view value);
  void Dispatch();

  EventFn on_event_;
  CommentFn on_comment_;
  std::string line_;       // the line being read
  bool after_cr_ = false;  // the previous byte ended a line with CR
  bool at_start_ = true;   // nothing read yet (for the BOM)
  std::string type_;       // the event being built
  std::string data_;
  std::optional<std::string> id_;
  bool has_data_ = false;
  std::string id_buffer_;      // the id: seen in the event being built
  std::string last_event_id_;  // as of the last dispatched event
  std::optional<std::uint64_t> retry_ms_;
};

}  // namespace forkline::client
