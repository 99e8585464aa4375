#pragma once
// One HTTP connection, as Beast's async servers do it: the session owns its stream,
// buffer and parser, runs on its own strand, and stays alive while an operation holds
// shared_from_this(). One request at a time (no pipelining); a request's headers must
// arrive within the header timeout once it has begun, its body and every write within
// the idle timeout; header and body sizes are limited by the parser. Command replies
// arrive from any thread and are posted back onto the strand. An SSE request hands
// the socket over to an SseSession. Internal to daemon/http.

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "daemon/http/api.h"
#include "daemon/http/net.h"
#include "daemon/http/server_state.h"

namespace forkline {

class HttpSession : public std::enable_shared_from_this<HttpSession>, public Closable {
 public:
  HttpSession(tcp::socket&& socket, std::shared_ptr<ServerState> state);
  ~HttpSession() override;

  // Starts reading requests (any thread).
  void Run();
  // Closes the connection (any thread; posts to the strand).
  void Close() override;

 private:
  using Request = http::request<http::string_body>;

  void DoRead();
  void OnFirstBytes(beast::error_code ec, std::size_t bytes);
  void DoReadHeader();
  void OnReadHeader(beast::error_code ec, std::size_t bytes);
  void DoReadBody();
  void OnRead(beast::error_code ec, std::size_t bytes);
  void OnParseError(beast::error_code ec);
  void Handle(Request req);
  bool Authorized(const Route& route, const Request& req) const;
  void StartCommand(Route route, const Request& req);
  void OnCommandReply(const Route& route, CommandReply reply);
  void StartSse(const Route& route, const Request& req);
  void Send(const HttpReply& reply);
  void OnWrite(bool keep_alive, beast::error_code ec, std::size_t bytes);
  void DoDrain();
  void OnDrain(beast::error_code ec, std::size_t bytes);
  void DoClose();
  void Fail(beast::error_code ec, std::string_view what);

  std::shared_ptr<ServerState> state_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::uint64_t registration_ = 0;
  // The request being answered.
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  bool awaiting_reply_ = false;
  bool drain_after_write_ = false;  // 413 before the body was read: lingering close
  bool closed_ = false;
};

}  // namespace forkline
