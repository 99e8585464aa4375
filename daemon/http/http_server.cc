#include "daemon/http/http_server.h"

#include <atomic>
#include <charconv>

#include "daemon/http/host_check.h"
#include "daemon/http/http_session.h"
#include "daemon/http/net.h"
#include "daemon/http/server_state.h"

namespace forkline {
namespace {

Result<tcp::endpoint> ParseBind(const std::string& bind) {
  const std::size_t colon = bind.rfind(':');
  if (colon == std::string::npos) {
    return Status::BadRequest("bad http bind \"" + bind + "\": expected host:port");
  }
  std::string host = bind.substr(0, colon);
  const std::string port_text = bind.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return Status::BadRequest("bad http bind \"" + bind + "\": bad port");
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty() || host == "*") host = "0.0.0.0";
  beast::error_code aec;
  const auto address = net::ip::make_address(host, aec);
  if (aec) return Status::BadRequest("bad http bind \"" + bind + "\": bad address");
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

std::string BindError(const beast::error_code& ec) {
  if (ec == net::error::address_in_use) return "address in use";
  if (ec == net::error::access_denied) return "permission denied";
  if (ec == boost::system::errc::address_not_available) return "address not available";
  return ec.message();
}

}  // namespace

std::uint64_t SessionSet::Add(std::weak_ptr<Closable> session) {
  std::lock_guard lock(mu_);
  if (closed_) return 0;
  const std::uint64_t id = next_id_++;
  sessions_.emplace(id, std::move(session));
  return id;
}

void SessionSet::Remove(std::uint64_t id) {
  std::lock_guard lock(mu_);
  sessions_.erase(id);
}

void SessionSet::CloseAll() {
  std::map<std::uint64_t, std::weak_ptr<Closable>> sessions;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    sessions.swap(sessions_);
  }
  for (auto& [id, weak] : sessions) {
    if (auto session = weak.lock()) session->Close();
  }
}

// Accepts connections, each onto a strand of its own.
class HttpServer::Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, std::shared_ptr<ServerState> state)
      : ioc_(ioc), state_(std::move(state)), acceptor_(net::make_strand(ioc)) {}

  Status Open(const std::string& bind) {
    auto endpoint = ParseBind(bind);
    if (!endpoint.ok()) return endpoint.status();
    beast::error_code ec;
    acceptor_.open(endpoint->protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(*endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      beast::error_code ignored;
      acceptor_.close(ignored);
      return Status::Unavailable("cannot bind " + bind + ": " + BindError(ec));
    }
    port_ = acceptor_.local_endpoint(ec).port();
    return Status::Ok();
  }

  void Run() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->DoAccept(); });
  }

  void Stop() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
    });
  }

  std::uint16_t port() const { return port_; }

 private:
  void DoAccept() {
    if (!acceptor_.is_open()) return;
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;  // stopped
    if (ec) {
      state_->Log("http: accept: " + ec.message());
    } else {
      std::make_shared<HttpSession>(std::move(socket), state_)->Run();
    }
    DoAccept();
  }

  net::io_context& ioc_;
  std::shared_ptr<ServerState> state_;
  tcp::acceptor acceptor_;
  std::atomic<std::uint16_t> port_{0};
};

HttpServer::HttpServer(HttpOptions options, CommandHandler& handler, EventFeed& feed,
                       net::io_context& ioc)
    : ioc_(ioc), state_(std::make_shared<ServerState>(std::move(options), handler, feed)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  if (listener_) return Status::Internal("http server already started");
  FL_RETURN_IF_ERROR(CheckAllowedHosts(state_->options.allowed_hosts));
  auto listener = std::make_shared<Listener>(ioc_, state_);
  FL_RETURN_IF_ERROR(listener->Open(state_->options.bind));
  listener_ = std::move(listener);
  state_->hub->Attach(state_->feed, ioc_.get_executor());
  listener_->Run();
  return Status::Ok();
}

void HttpServer::Stop() {
  if (listener_) listener_->Stop();
  state_->hub->Detach();
  state_->sessions.CloseAll();
}

std::uint16_t HttpServer::port() const { return listener_ ? listener_->port() : 0; }

}  // namespace forkline
