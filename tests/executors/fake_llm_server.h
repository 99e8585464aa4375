#pragma once
// A scripted OpenAI-compatible endpoint for tests of the `llm` executor: listens on
// 127.0.0.1 (a free port), answers each connection with the next scripted reply, and
// records every request. Raw sockets on its own thread; one connection at a time.
// With FakeLlmServer::Tls it speaks HTTPS (OpenSSL) with a freshly made self-signed
// certificate for 127.0.0.1, written as PEM to the file the caller names.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace forkline {

struct FakeReply {
  enum class End {
    kComplete,  // the body is finished properly (last chunk / all bytes sent)
    kHold,      // keep the connection open, send nothing more, until the client closes it
    kClose,     // close the connection right after the writes (a reply cut short)
  };
  int status = 200;
  std::string content_type = "text/event-stream";
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> writes;  // body pieces, each sent as it is (one chunk each)
  bool chunked = true;              // false: no length, the body ends when the connection does
  End end = End::kComplete;
};

struct FakeRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// SSE helpers: a chat.completion.chunk carrying `delta`, the usage chunk, "[DONE]".
std::string ChunkEvent(const std::string& delta, const std::string& model = "fake-model");
std::string UsageEvent(int prompt_tokens, int completion_tokens);
std::string DoneEvent();
// A 200 stream of the deltas, a usage chunk and [DONE].
FakeReply StreamReply(const std::vector<std::string>& deltas);
// A reply with that status and a JSON body.
FakeReply StatusReply(int status, const std::string& json_body);

class FakeLlmServer {
 public:
  struct Tls {
    std::string cert_file;  // where the server's certificate (PEM) is written
  };
  FakeLlmServer();                         // starts listening and serving plain HTTP
  explicit FakeLlmServer(const Tls& tls);  // HTTPS
  ~FakeLlmServer();                        // stops the thread, closing any held connection
  FakeLlmServer(const FakeLlmServer&) = delete;
  FakeLlmServer& operator=(const FakeLlmServer&) = delete;

  // Adds a reply to the script; connections beyond the script get the responder's
  // reply, or a 500 when there is none.
  void Script(FakeReply reply);
  // Answers each request beyond the script by calling `responder` (on the server's
  // thread, one request at a time), e.g. a reply chosen by the prompt.
  void Respond(std::function<FakeReply(const FakeRequest&)> responder);
  int port() const { return port_; }
  std::string base_url() const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + "/v1";
  }
  std::vector<FakeRequest> requests() const;

 private:
  struct TlsState;  // OpenSSL's context, kept out of this header
  class Conn;

  void Start();
  void Serve();
  void Handle(Conn& conn);
  bool ReadRequest(Conn& conn, FakeRequest* request);
  void Reply(Conn& conn, const FakeReply& reply);
  void WaitForClose(Conn& conn);

  std::shared_ptr<TlsState> tls_;

  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: written to stop the thread
  int port_ = 0;
  mutable std::mutex mu_;  // guards script_, next_, requests_, responder_
  std::vector<FakeReply> script_;
  std::function<FakeReply(const FakeRequest&)> responder_;
  std::size_t next_ = 0;
  std::vector<FakeRequest> requests_;
  std::thread thread_;
};

}  // namespace forkline
