#include "tests/executors/fake_llm_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include <boost/json/serialize.hpp>

namespace forkline {
namespace {

// A self-signed certificate for 127.0.0.1 (written to cert_file) in a server context.
SSL_CTX* MakeServerContext(const std::string& cert_file) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, key, EVP_sha256());
  FILE* f = std::fopen(cert_file.c_str(), "w");
  if (f == nullptr) throw std::runtime_error("cannot write " + cert_file);
  PEM_write_X509(f, cert);
  std::fclose(f);
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
    throw std::runtime_error("cannot set up the test certificate");
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return ctx;
}

std::string Hex(std::size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%zx", n);
  return buf;
}

std::string Lower(std::string s) {
  for (char& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

}  // namespace

std::string ChunkEvent(const std::string& delta, const std::string& model) {
  boost::json::object chunk{
      {"id", "chatcmpl-1"},
      {"object", "chat.completion.chunk"},
      {"model", model},
      {"choices", boost::json::array{boost::json::object{
                      {"index", 0}, {"delta", {{"content", delta}}}, {"finish_reason", nullptr}}}}};
  return "data: " + boost::json::serialize(chunk) + "\n\n";
}

std::string UsageEvent(int prompt_tokens, int completion_tokens) {
  boost::json::object chunk{
      {"id", "chatcmpl-1"},
      {"object", "chat.completion.chunk"},
      {"choices", boost::json::array{}},
      {"usage", {{"prompt_tokens", prompt_tokens}, {"completion_tokens", completion_tokens}}}};
  return "data: " + boost::json::serialize(chunk) + "\n\n";
}

std::string DoneEvent() {
  return "data: [DONE]\n\n";
}

FakeReply StreamReply(const std::vector<std::string>& deltas) {
  FakeReply reply;
  for (const auto& d : deltas) {
    reply.writes.push_back(ChunkEvent(d));
  }
  reply.writes.push_back(UsageEvent(12, static_cast<int>(deltas.size())));
  reply.writes.push_back(DoneEvent());
  return reply;
}

FakeReply StatusReply(int status, const std::string& json_body) {
  FakeReply reply;
  reply.status = status;
  reply.content_type = "application/json";
  reply.writes = {json_body};
  return reply;
}

struct FakeLlmServer::TlsState {
  TlsState() = default;
  ~TlsState() { SSL_CTX_free(ctx); }
  TlsState(const TlsState&) = delete;
  TlsState& operator=(const TlsState&) = delete;
  SSL_CTX* ctx = nullptr;
};

// One accepted connection, plain or TLS.
class FakeLlmServer::Conn {
 public:
  Conn(int fd, SSL_CTX* tls) : fd_(fd) {
    if (tls == nullptr) return;
    ssl_ = SSL_new(tls);
    SSL_set_fd(ssl_, fd_);
    if (SSL_accept(ssl_) != 1) ok_ = false;  // e.g. the client refused the certificate
  }
  ~Conn() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  bool ok() const { return ok_; }
  int fd() const { return fd_; }
  ssize_t Recv(char* buf, std::size_t size) {
    if (ssl_ != nullptr) return SSL_read(ssl_, buf, static_cast<int>(size));
    return ::recv(fd_, buf, size, 0);
  }
  void Send(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      const ssize_t n =
          ssl_ != nullptr ? SSL_write(ssl_, data.data() + off, static_cast<int>(data.size() - off))
                          : ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;  // the client went away; the test sees what it sees
      off += static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_;
  SSL* ssl_ = nullptr;
  bool ok_ = true;
};

FakeLlmServer::FakeLlmServer() {
  Start();
}

FakeLlmServer::FakeLlmServer(const Tls& tls) : tls_(std::make_shared<TlsState>()) {
  ::signal(SIGPIPE, SIG_IGN);  // SSL_write has no MSG_NOSIGNAL
  tls_->ctx = MakeServerContext(tls.cert_file);
  Start();
}

void FakeLlmServer::Start() {
  if (::pipe(wake_) != 0) throw std::runtime_error("pipe");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("bind/listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakeLlmServer::~FakeLlmServer() {
  const char byte = 'x';
  (void)!::write(wake_[1], &byte, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void FakeLlmServer::Respond(std::function<FakeReply(const FakeRequest&)> responder) {
  std::lock_guard<std::mutex> lock(mu_);
  responder_ = std::move(responder);
}

void FakeLlmServer::Script(FakeReply reply) {
  std::lock_guard<std::mutex> lock(mu_);
  script_.push_back(std::move(reply));
}

std::vector<FakeRequest> FakeLlmServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void FakeLlmServer::Serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    Conn conn(fd, tls_ ? tls_->ctx : nullptr);
    if (conn.ok()) Handle(conn);
  }
}

void FakeLlmServer::Handle(Conn& conn) {
  FakeRequest request;
  if (!ReadRequest(conn, &request)) return;
  FakeReply reply = StatusReply(500, R"({"error":{"message":"no scripted reply"}})");
  std::function<FakeReply(const FakeRequest&)> responder;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    if (next_ < script_.size()) {
      reply = script_[next_++];
    } else {
      responder = responder_;
    }
  }
  if (responder) reply = responder(request);
  Reply(conn, reply);
}

bool FakeLlmServer::ReadRequest(Conn& conn, FakeRequest* request) {
  std::string data;
  std::size_t header_end = std::string::npos;
  char buf[4096];
  while (header_end == std::string::npos) {
    const ssize_t n = conn.Recv(buf, sizeof buf);
    if (n <= 0) return false;
    data.append(buf, static_cast<std::size_t>(n));
    header_end = data.find("\r\n\r\n");
  }
  std::size_t line_end = data.find("\r\n");
  const std::string first = data.substr(0, line_end);
  const std::size_t sp1 = first.find(' ');
  const std::size_t sp2 = first.find(' ', sp1 + 1);
  request->method = first.substr(0, sp1);
  request->target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  while (line_end < header_end) {
    const std::size_t next = data.find("\r\n", line_end + 2);
    const std::string line = data.substr(line_end + 2, next - line_end - 2);
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      request->headers[Lower(line.substr(0, colon))] = value;
    }
    line_end = next;
  }
  const std::size_t length =
      std::stoul(request->headers.count("content-length") != 0 ? request->headers["content-length"]
                                                               : std::string("0"));
  request->body = data.substr(header_end + 4);
  while (request->body.size() < length) {
    const ssize_t n = conn.Recv(buf, sizeof buf);
    if (n <= 0) return false;
    request->body.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

void FakeLlmServer::Reply(Conn& conn, const FakeReply& reply) {
  std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " Scripted\r\n" +
                     "Content-Type: " + reply.content_type + "\r\n";
  for (const auto& [name, value] : reply.headers) {
    head += name + ": " + value + "\r\n";
  }
  head += reply.chunked ? "Transfer-Encoding: chunked\r\n" : "Connection: close\r\n";
  conn.Send(head + "\r\n");
  for (const auto& piece : reply.writes) {
    conn.Send(reply.chunked ? Hex(piece.size()) + "\r\n" + piece + "\r\n" : piece);
  }
  switch (reply.end) {
    case FakeReply::End::kComplete:
      if (reply.chunked) conn.Send("0\r\n\r\n");
      break;
    case FakeReply::End::kHold:
      WaitForClose(conn);
      break;
    case FakeReply::End::kClose:
      break;
  }
}

void FakeLlmServer::WaitForClose(Conn& conn) {
  char buf[256];
  while (true) {
    pollfd fds[2] = {{conn.fd(), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;  // the server stops; Serve sees the byte too
    if (fds[0].revents != 0 && conn.Recv(buf, sizeof buf) <= 0) return;
  }
}

}  // namespace forkline
