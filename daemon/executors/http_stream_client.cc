#include "daemon/executors/http_stream_client.h"

#include <openssl/ssl.h>

#include <array>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

namespace forkline {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;  // NOLINT(readability-identifier-naming): Asio's name
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr std::size_t kBodyPiece = 16 * 1024;

// One call: its io_context, the limits, and the blocking wait for one async operation.
class Call {
 public:
  explicit Call(const HttpLimits& limits) : limits_(limits) {}

  HttpOutcome Run(const HttpPost& post, const HttpHandlers& handlers);

 private:
  using Done = std::function<void(error_code)>;

  // Starts an operation with `start(done)` and runs the io_context until `done` ran.
  // When abort, the deadline or the idle limit comes first, `close()` ends the
  // connection (the operation then completes with an error) and the limit is returned.
  std::optional<HttpEnd> Await(const std::function<void(Done)>& start,
                               const std::function<void()>& close, error_code& ec);
  std::optional<HttpEnd> LimitReached(Clock::time_point idle_deadline) const;

  template <class Stream>
  HttpOutcome Exchange(Stream& stream, const HttpPost& post, const HttpHandlers& handlers);
  HttpOutcome Connect(beast::tcp_stream& stream, const HttpEndpoint& endpoint);

  const HttpLimits& limits_;
  net::io_context ioc_{1};
};

std::optional<HttpEnd> Call::LimitReached(Clock::time_point idle_deadline) const {
  if (limits_.abort != nullptr && limits_.abort->load()) return HttpEnd::kAborted;
  const auto now = Clock::now();
  if (now >= limits_.deadline) return HttpEnd::kDeadline;
  if (now >= idle_deadline) return HttpEnd::kStalled;
  return std::nullopt;
}

std::optional<HttpEnd> Call::Await(const std::function<void(Done)>& start,
                                   const std::function<void()>& close, error_code& ec) {
  bool done = false;
  start([&](error_code e) {
    ec = e;
    done = true;
  });
  const auto idle_deadline = Clock::now() + limits_.idle_timeout;
  std::optional<HttpEnd> limit;
  while (!done) {
    ioc_.run_for(limits_.poll_interval);
    if (done || limit) continue;
    limit = LimitReached(idle_deadline);
    if (limit) close();
  }
  ioc_.restart();
  return limit;
}

HttpOutcome Call::Connect(beast::tcp_stream& stream, const HttpEndpoint& endpoint) {
  tcp::resolver resolver(ioc_);
  tcp::resolver::results_type results;
  error_code ec;
  auto limit = Await(
      [&](const Done& done) {
        resolver.async_resolve(endpoint.host, endpoint.port,
                               [&results, done](error_code e, tcp::resolver::results_type r) {
                                 results = std::move(r);
                                 done(e);
                               });
      },
      [&] { resolver.cancel(); }, ec);
  if (limit) return {*limit, ""};
  if (ec) return {HttpEnd::kConnectFailed, "cannot resolve " + endpoint.host + ": " + ec.message()};
  limit = Await(
      [&](const Done& done) {
        stream.async_connect(results, [done](error_code e, const tcp::endpoint&) { done(e); });
      },
      [&] { stream.close(); }, ec);
  if (limit) return {*limit, ""};
  if (ec) {
    return {HttpEnd::kConnectFailed,
            "cannot connect to " + endpoint.host + ":" + endpoint.port + ": " + ec.message()};
  }
  stream.socket().set_option(tcp::no_delay(true), ec);
  return {HttpEnd::kComplete, ""};
}

template <class Stream>
HttpOutcome Call::Exchange(Stream& stream, const HttpPost& post, const HttpHandlers& handlers) {
  auto close = [&stream] { beast::get_lowest_layer(stream).close(); };
  const HttpEndpoint& ep = post.endpoint;
  const bool default_port = ep.port == (ep.tls ? "443" : "80");
  http::request<http::string_body> request{http::verb::post, ep.path, 11};
  const std::string host = ep.host.find(':') == std::string::npos ? ep.host : "[" + ep.host + "]";
  request.set(http::field::host, default_port ? host : host + ":" + ep.port);
  request.set(http::field::user_agent, "forkline");
  request.set(http::field::content_type, post.content_type);
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : post.headers) {
    request.set(name, value);
  }
  request.body() = post.body;
  request.prepare_payload();

  error_code ec;
  auto limit = Await(
      [&](const Done& done) {
        http::async_write(stream, request, [done](error_code e, std::size_t) { done(e); });
      },
      close, ec);
  if (limit) return {*limit, ""};
  if (ec) return {HttpEnd::kBroken, "cannot send the request: " + ec.message()};

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // the caller limits what it keeps
  limit = Await(
      [&](const Done& done) {
        http::async_read_header(stream, buffer, parser,
                                [done](error_code e, std::size_t) { done(e); });
      },
      close, ec);
  if (limit) return {*limit, ""};
  if (ec) return {HttpEnd::kBroken, "no response header: " + ec.message()};

  const auto& header = parser.get();
  HttpResponseHead head;
  head.status = header.result_int();
  head.content_type = std::string(header[http::field::content_type]);
  head.retry_after = std::string(header[http::field::retry_after]);
  if (handlers.on_head && !handlers.on_head(head)) {
    close();
    return {HttpEnd::kStopped, ""};
  }

  std::array<char, kBodyPiece> piece{};
  while (!parser.is_done()) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    limit = Await(
        [&](const Done& done) {
          http::async_read_some(stream, buffer, parser,
                                [done](error_code e, std::size_t) { done(e); });
        },
        close, ec);
    if (limit) return {*limit, ""};
    if (ec == http::error::need_buffer) ec = {};
    const std::size_t n = piece.size() - parser.get().body().size;
    if (n > 0 && handlers.on_body && !handlers.on_body(std::string_view(piece.data(), n))) {
      close();
      return {HttpEnd::kStopped, ""};
    }
    if (ec) return {HttpEnd::kBroken, "the response was cut short: " + ec.message()};
  }
  close();
  return {HttpEnd::kComplete, ""};
}

HttpOutcome Call::Run(const HttpPost& post, const HttpHandlers& handlers) {
  const HttpEndpoint& ep = post.endpoint;
  if (!ep.tls) {
    beast::tcp_stream stream(ioc_);
    HttpOutcome connected = Connect(stream, ep);
    if (connected.end != HttpEnd::kComplete) return connected;
    return Exchange(stream, post, handlers);
  }
  ssl::context tls(ssl::context::tls_client);
  error_code ec;
  tls.set_default_verify_paths(ec);
  if (!post.ca_file.empty()) {
    tls.load_verify_file(post.ca_file, ec);
    if (ec) {
      return {HttpEnd::kTlsFailed, "cannot load CA file " + post.ca_file + ": " + ec.message()};
    }
  }
  tls.set_verify_mode(post.verify_tls ? ssl::verify_peer : ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream(ioc_, tls);
  if (post.verify_tls) stream.set_verify_callback(ssl::host_name_verification(ep.host));
  if (SSL_set_tlsext_host_name(stream.native_handle(), ep.host.c_str()) != 1) {
    return {HttpEnd::kTlsFailed, "cannot set the TLS server name " + ep.host};
  }
  HttpOutcome connected = Connect(beast::get_lowest_layer(stream), ep);
  if (connected.end != HttpEnd::kComplete) return connected;
  auto limit =
      Await([&](const Done& done) { stream.async_handshake(ssl::stream_base::client, done); },
            [&] { beast::get_lowest_layer(stream).close(); }, ec);
  if (limit) return {*limit, ""};
  if (ec) {
    return {HttpEnd::kTlsFailed, "TLS handshake with " + ep.host + " failed: " + ec.message()};
  }
  return Exchange(stream, post, handlers);
}

}  // namespace

Result<HttpEndpoint> ParseEndpoint(std::string_view base_url, std::string_view suffix) {
  auto url = boost::urls::parse_uri(base_url);
  if (!url) return Status::BadRequest("'" + std::string(base_url) + "' is not a URL");
  HttpEndpoint ep;
  const std::string scheme(url->scheme());
  if (scheme == "https") {
    ep.tls = true;
  } else if (scheme != "http") {
    return Status::BadRequest("'" + std::string(base_url) + "' is neither http:// nor https://");
  }
  if (url->has_query() || url->has_fragment() || url->has_userinfo()) {
    return Status::BadRequest("'" + std::string(base_url) +
                              "' has a query, fragment or user; give scheme://host[:port]/path");
  }
  ep.host = std::string(url->encoded_host());
  if (url->host_type() == boost::urls::host_type::ipv6) {
    ep.host = url->host_ipv6_address().to_string();
  }
  if (ep.host.empty()) return Status::BadRequest("'" + std::string(base_url) + "' has no host");
  ep.port = url->has_port() ? std::string(url->port()) : (ep.tls ? "443" : "80");
  std::string path(url->encoded_path());
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  ep.path = path + std::string(suffix);
  if (ep.path.empty() || ep.path.front() != '/') ep.path.insert(ep.path.begin(), '/');
  return ep;
}

HttpOutcome StreamingPost(const HttpPost& post, const HttpLimits& limits,
                          const HttpHandlers& handlers) {
  try {
    Call call(limits);
    return call.Run(post, handlers);
  } catch (const std::exception& e) {  // Asio/Beast throw on allocation and set-up errors
    return {HttpEnd::kBroken, e.what()};
  }
}

}  // namespace forkline
