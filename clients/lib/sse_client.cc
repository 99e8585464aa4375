#include "clients/lib/sse_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace forkline::client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kMaxErrorBody = 64 * 1024;

Status HttpError(unsigned status, const std::string& body) {
  Code code = Code::kInternal;
  switch (status) {
    case 400:
      code = Code::kBadRequest;
      break;
    case 401:
      code = Code::kUnauthorized;
      break;
    case 404:
      code = Code::kNotFound;
      break;
    case 409:
      code = Code::kConflict;
      break;
    case 413:
      code = Code::kTooLarge;
      break;
    case 503:
      code = Code::kUnavailable;
      break;
    default:
      break;
  }
  std::string message = "HTTP " + std::to_string(status);
  error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const auto* e = v.get_object().if_contains("error"); e && e->is_object()) {
      if (const auto* m = e->get_object().if_contains("message"); m && m->is_string()) {
        message = std::string(m->get_string());
      }
    }
  }
  return Status(code, std::move(message));
}

}  // namespace

// One Run: the reconnect loop and each connection, as coroutines on Run's io_context.
class SseClient::Session {
 public:
  Session(SseClient& client, EventFn on_event)
      : client_(client), on_event_(std::move(on_event)), parser_([this](const SseEvent& e) {
          if (!stop_ && !on_event_(e)) stop_ = true;
        }) {
    parser_.set_last_event_id(client_.options_.last_event_id);
  }

  const std::string& last_event_id() const { return parser_.last_event_id(); }

  asio::awaitable<void> Loop(Status* result) {
    const SseClientOptions& o = client_.options_;
    int failures = 0;
    while (true) {
      bool streamed = false;
      Status s = co_await Connection(&streamed);
      parser_.Reset();
      if (stop_ || http_error_) {
        *result = stop_ ? Status::Ok() : s;
        co_return;
      }
      failures = streamed ? 0 : failures + 1;
      if (!o.reconnect) {
        *result = streamed ? Status::Ok() : s;
        co_return;
      }
      if (o.max_failed_connects > 0 && failures >= o.max_failed_connects) {
        *result = Status::Unavailable(s.message() + " (gave up after " + std::to_string(failures) +
                                      " attempts)");
        co_return;
      }
      const auto delay =
          parser_.retry_ms() ? std::chrono::milliseconds(*parser_.retry_ms()) : o.retry_delay;
      asio::steady_timer timer(co_await asio::this_coro::executor, delay);
      error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

 private:
  // One connection. Sets *streamed once a 200 event stream started.
  asio::awaitable<Status> Connection(bool* streamed) {
    const SseClientOptions& o = client_.options_;
    const std::string where = o.host + ":" + o.port;
    auto executor = co_await asio::this_coro::executor;
    error_code ec;
    tcp::resolver resolver(executor);
    auto endpoints = co_await resolver.async_resolve(o.host, o.port,
                                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Status::Unavailable("cannot resolve " + where + ": " + ec.message());
    beast::tcp_stream stream(executor);
    stream.expires_after(o.connect_timeout);
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Status::Unavailable("cannot connect to " + where + ": " + ec.message());

    http::request<http::empty_body> req{http::verb::get, o.target, 11};
    req.set(http::field::host, o.host);
    req.set(http::field::accept, "text/event-stream");
    req.set(http::field::cache_control, "no-cache");
    if (!o.token.empty()) req.set(http::field::authorization, "Bearer " + o.token);
    if (!parser_.last_event_id().empty()) req.set("Last-Event-ID", parser_.last_event_id());
    co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Status::Unavailable("cannot send request to " + where + ": " + ec.message());

    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> response;
    response.body_limit(boost::none);
    stream.expires_after(o.connect_timeout);
    co_await http::async_read_header(stream, buffer, response,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return Status::Unavailable("no response from " + where + ": " + ec.message());
    const unsigned status = response.get().result_int();
    const bool is_stream =
        response.get()[http::field::content_type].starts_with("text/event-stream");
    if (status == 200 && is_stream) {
      *streamed = true;
      ++client_.connections_;
    }
    std::string error_body;
    ec = co_await ReadBody(stream, buffer, response, *streamed ? nullptr : &error_body);
    if (status != 200 || !is_stream) {
      http_error_ = true;
      if (status == 200) co_return Status::Internal(where + o.target + " is not an event stream");
      co_return HttpError(status, error_body);
    }
    co_return Status::Unavailable("stream from " + where + " ended" +
                                  (ec ? ": " + ec.message() : std::string()));
  }

  // Reads the body: into the SSE parser, or into `into` (capped) for an error response.
  asio::awaitable<error_code> ReadBody(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                       http::response_parser<http::buffer_body>& response,
                                       std::string* into) {
    char chunk[16 * 1024];
    error_code ec;
    while (!response.is_done() && !stop_) {
      response.get().body().data = chunk;
      response.get().body().size = sizeof chunk;
      stream.expires_after(client_.options_.idle_timeout);
      co_await http::async_read_some(stream, buffer, response,
                                     asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      const std::size_t got = sizeof chunk - response.get().body().size;
      if (into == nullptr) {
        parser_.Feed(std::string_view(chunk, got));
      } else if (into->size() < kMaxErrorBody) {
        into->append(chunk, got);
      }
      if (ec) break;
    }
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return ec;
  }

  SseClient& client_;
  EventFn on_event_;
  SseParser parser_;
  bool stop_ = false;        // the callback asked to stop
  bool http_error_ = false;  // the server answered, but not with a stream
};

Status SseClient::Run(EventFn on_event) {
  Session session(*this, std::move(on_event));
  Status result = Status::Ok();
  {
    // Declared after `session`, so pending coroutine frames die before it does.
    asio::io_context io;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_requested_) return Status::Ok();
      io_ = &io;
    }
    asio::co_spawn(io, session.Loop(&result), asio::detached);
    io.run();
    std::lock_guard<std::mutex> lock(mu_);
    io_ = nullptr;
  }
  last_event_id_ = session.last_event_id();
  return result;
}

void SseClient::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stop_requested_ = true;
  if (io_ != nullptr) io_->stop();
}

}  // namespace forkline::client
