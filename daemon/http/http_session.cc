#include "daemon/http/http_session.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>

#include "daemon/api/auth.h"
#include "daemon/http/history_routes.h"
#include "daemon/http/host_check.h"
#include "daemon/http/sse_session.h"
#include "daemon/http/static_files.h"

namespace forkline {
namespace {

constexpr std::size_t kDrainBytes = 64u << 10;
constexpr std::chrono::seconds kDrainTime{5};
// Bytes read at once while waiting for a request to start.
constexpr std::size_t kFirstRead = 4096;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::string_view BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() < kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return {};
  }
  authorization.remove_prefix(kScheme.size());
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  return authorization;
}

bool IsSse(RouteId id) { return id == RouteId::kRunEvents || id == RouteId::kGlobalEvents; }

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

HttpSession::HttpSession(tcp::socket&& socket, std::shared_ptr<ServerState> state)
    : state_(std::move(state)), stream_(std::move(socket)) {}

HttpSession::~HttpSession() {
  if (registration_ != 0) state_->sessions.Remove(registration_);
}

void HttpSession::Run() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->registration_ = self->state_->sessions.Add(self);
    if (self->registration_ == 0) return self->DoClose();
    self->DoRead();
  });
}

void HttpSession::Close() {
  net::post(stream_.get_executor(), [self = shared_from_this()] { self->DoClose(); });
}

// A request is read in three phases, each with its own deadline: its first bytes
// (idle_timeout_s: a keep-alive connection may wait), the rest of the request line and
// headers (header_timeout_s, or idle_timeout_s if shorter, so a slowloris client
// trickling a byte at a time is cut off), then the body (idle_timeout_s). The parser
// refuses headers over max_header_bytes and a Content-Length over max_body_bytes before
// any body byte is read; a client that sent `Expect: 100-continue` gets `100 Continue`
// only after that.
void HttpSession::DoRead() {
  if (closed_) return;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(state_->options.max_header_bytes));
  parser_->body_limit(state_->options.max_body_bytes);
  if (buffer_.size() > 0) return DoReadHeader();  // a pipelined request is already here
  stream_.expires_after(std::chrono::seconds(state_->options.idle_timeout_s));
  stream_.async_read_some(buffer_.prepare(kFirstRead),
                          beast::bind_front_handler(&HttpSession::OnFirstBytes,
                                                    shared_from_this()));
}

void HttpSession::OnFirstBytes(beast::error_code ec, std::size_t bytes) {
  if (ec == net::error::eof || ec == beast::error::timeout) return DoClose();
  if (ec) return Fail(ec, "read");
  buffer_.commit(bytes);
  DoReadHeader();
}

void HttpSession::DoReadHeader() {
  const int limit = std::min(state_->options.header_timeout_s, state_->options.idle_timeout_s);
  stream_.expires_after(std::chrono::seconds(limit));
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&HttpSession::OnReadHeader,
                                                    shared_from_this()));
}

void HttpSession::OnReadHeader(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout) return DoClose();
  if (ec) return OnParseError(ec);
  if (parser_->is_done()) return OnRead({}, 0);
  stream_.expires_after(std::chrono::seconds(state_->options.idle_timeout_s));
  const auto& head = parser_->get();
  if (head.version() >= 11 && IEquals(head[http::field::expect], "100-continue")) {
    net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this()](beast::error_code wec, std::size_t) {
                       if (wec) return self->Fail(wec, "write");
                       self->DoReadBody();
                     });
    return;
  }
  DoReadBody();
}

void HttpSession::DoReadBody() {
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
}

void HttpSession::OnRead(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout) return DoClose();
  if (ec) return OnParseError(ec);
  Request req = parser_->release();
  try {
    Handle(std::move(req));
  } catch (const std::exception& e) {  // Boost.JSON / Beast throw; never let it escape
    keep_alive_ = false;
    Send(ErrorReply(Status::Internal(std::string("unexpected error: ") + e.what())));
  }
}

void HttpSession::OnParseError(beast::error_code ec) {
  if (ec == net::error::operation_aborted || ec == net::error::connection_reset ||
      ec == net::error::eof || ec == net::error::bad_descriptor || closed_) {
    return DoClose();
  }
  version_ = 11;
  keep_alive_ = false;
  head_ = false;
  if (ec == http::error::body_limit) {
    drain_after_write_ = true;
    return Send(ErrorReply(Status::TooLarge(
        "request body exceeds " + std::to_string(state_->options.max_body_bytes) + " bytes")));
  }
  if (ec == http::error::header_limit) {
    return Send(ErrorReply(431, Code::kTooLarge,
                           "request line and headers exceed " +
                               std::to_string(state_->options.max_header_bytes) + " bytes"));
  }
  if (ec == http::error::partial_message) return DoClose();  // the peer went away mid-request
  Send(ErrorReply(Status::BadRequest("malformed HTTP request: " + ec.message())));
}

void HttpSession::Handle(Request req) {
  version_ = req.version();
  keep_alive_ = req.keep_alive();
  head_ = false;
  if (auto host = req.find(http::field::host);
      host != req.end() && !HostAllowed(state_->options.allowed_hosts, host->value())) {
    const std::string_view value = host->value();
    return Send(ErrorReply(403, Code::kUnauthorized,
                           "Host \"" + std::string(value.substr(0, 200)) +
                               "\" is not allowed (http.allowed_hosts)"));
  }
  auto matched = MatchRoute(req.method_string(), req.target());
  if (!matched.ok()) return Send(ErrorReply(matched.status()));
  Route& route = *matched;
  head_ = route.head;
  if (route.id == RouteId::kNotFound) {
    const std::string_view target = req.target();
    return Send(ErrorReply(Status::NotFound(
        "no route for " + std::string(req.method_string()) + " " +
        std::string(target.substr(0, target.find('?'))))));
  }
  if (route.id == RouteId::kMethodNotAllowed) {
    HttpReply reply = ErrorReply(405, Code::kBadRequest,
                                 "method " + std::string(req.method_string()) +
                                     " not allowed here; allowed: " + route.allow);
    reply.allow = route.allow;
    return Send(reply);
  }
  if (!Authorized(route, req)) {
    return Send(ErrorReply(Status::Unauthorized("missing or wrong bearer token")));
  }
  switch (route.id) {
    case RouteId::kStatic: return Send(ServeStatic(state_->options.web_dir, route.path));
    case RouteId::kMetrics:
      return Send(MakeReply(200, "text/plain; version=0.0.4; charset=utf-8",
                            state_->metrics.RenderPrometheus()));
    case RouteId::kRunEvents:
    case RouteId::kGlobalEvents: return StartSse(route, req);
    case RouteId::kRunDiff: return Send(RunDiffReply(route, state_->feed));
    case RouteId::kAdminBackup: return Send(BackupReply(req.body(), state_->options.backup));
    case RouteId::kRunGet:
      if (route.query.count("at_version")) return Send(RunAtVersionReply(route, state_->feed));
      return StartCommand(std::move(route), req);
    default: return StartCommand(std::move(route), req);
  }
}

bool HttpSession::Authorized(const Route& route, const Request& req) const {
  const std::string& token = state_->options.token;
  if (!route.needs_auth || token.empty()) return true;
  if (auto it = req.find(http::field::authorization); it != req.end()) {
    return TokenAccepted(token, BearerToken(it->value()));
  }
  if (IsSse(route.id)) {
    auto q = route.query.find("access_token");
    if (q != route.query.end()) return TokenAccepted(token, q->second);
  }
  return false;
}

void HttpSession::StartCommand(Route route, const Request& req) {
  auto command = CommandFor(route, req.body());
  if (!command.ok()) return Send(ErrorReply(command.status()));
  CommandRequest request = std::move(*command);
  if (auto it = req.find("Idempotency-Key"); it != req.end()) request.key = it->value();
  if (auto it = req.find("X-Request-Id"); it != req.end()) {
    request.id = it->value();
  } else {
    request.id = "http-" + std::to_string(state_->next_request_id.fetch_add(1));
  }
  // run.next answers when its step ends, which may take minutes: no idle timeout now.
  stream_.expires_never();
  awaiting_reply_ = true;
  auto self = shared_from_this();
  auto route_ptr = std::make_shared<const Route>(std::move(route));
  state_->handler.Handle(std::move(request), [self, route_ptr](CommandReply reply) {
    net::post(self->stream_.get_executor(), [self, route_ptr, r = std::move(reply)]() mutable {
      self->OnCommandReply(*route_ptr, std::move(r));
    });
  });
}

void HttpSession::OnCommandReply(const Route& route, CommandReply reply) {
  if (!awaiting_reply_) return;  // a second reply breaks the handler's contract: ignore it
  awaiting_reply_ = false;
  if (closed_) return;
  try {
    Send(ReplyFor(route, reply));
  } catch (const std::exception& e) {
    keep_alive_ = false;
    Send(ErrorReply(Status::Internal(std::string("unexpected error: ") + e.what())));
  }
}

void HttpSession::StartSse(const Route& route, const Request& req) {
  std::string_view last_event_id;
  if (auto it = req.find("Last-Event-ID"); it != req.end()) last_event_id = it->value();
  auto sse = ParseSseRequest(route, last_event_id);
  if (!sse.ok()) return Send(ErrorReply(sse.status()));
  stream_.expires_never();
  closed_ = true;  // the socket now belongs to the SSE session
  auto session = std::make_shared<SseSession>(stream_.release_socket(), state_,
                                              std::move(*sse), version_);
  session->Start();
}

void HttpSession::Send(const HttpReply& reply) {
  if (closed_) return;
  http::response<http::string_body> res{static_cast<http::status>(reply.status), version_};
  res.set(http::field::server, "forkline");
  res.set(http::field::content_type, reply.content_type);
  if (reply.content_type == "application/json") res.set(http::field::cache_control, "no-store");
  if (!reply.allow.empty()) res.set(http::field::allow, reply.allow);
  if (reply.www_authenticate) res.set(http::field::www_authenticate, "Bearer");
  const bool keep_alive = keep_alive_ && !drain_after_write_;
  res.keep_alive(keep_alive);
  if (head_) {
    res.content_length(reply.body.size());
  } else {
    res.body() = reply.body;
    res.prepare_payload();
  }
  stream_.expires_after(std::chrono::seconds(state_->options.idle_timeout_s));
  beast::async_write(stream_, http::message_generator(std::move(res)),
                     beast::bind_front_handler(&HttpSession::OnWrite, shared_from_this(),
                                               keep_alive));
}

void HttpSession::OnWrite(bool keep_alive, beast::error_code ec, std::size_t) {
  if (ec) return Fail(ec, "write");
  if (drain_after_write_) return DoDrain();
  if (!keep_alive) return DoClose();
  DoRead();
}

// After a 413 the client may still be sending its body: read and drop some of it so
// the reply is not lost to a reset, then close.
void HttpSession::DoDrain() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  buffer_.clear();
  stream_.expires_after(kDrainTime);
  stream_.async_read_some(buffer_.prepare(kDrainBytes),
                          beast::bind_front_handler(&HttpSession::OnDrain, shared_from_this()));
}

void HttpSession::OnDrain(beast::error_code ec, std::size_t) {
  if (ec || closed_) return DoClose();
  stream_.async_read_some(buffer_.prepare(kDrainBytes),
                          beast::bind_front_handler(&HttpSession::OnDrain, shared_from_this()));
}

void HttpSession::DoClose() {
  if (closed_) return;
  closed_ = true;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.close();
}

void HttpSession::Fail(beast::error_code ec, std::string_view what) {
  if (ec != net::error::operation_aborted && ec != beast::error::timeout &&
      ec != net::error::connection_reset && ec != net::error::broken_pipe &&
      ec != net::error::bad_descriptor) {
    state_->Log("http: " + std::string(what) + ": " + ec.message());
  }
  DoClose();
}

}  // namespace forkline
