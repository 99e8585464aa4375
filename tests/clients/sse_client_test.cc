// SseClient against a scripted raw-socket HTTP server: one canned response per
// connection, the requests recorded.

#include "clients/lib/sse_client.h"

#include <mutex>
#include <thread>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include "tests/testutil/status_matchers.h"
#include "tests/zmq/zmq_test_util.h"

namespace forkline::client {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr const char* kStreamHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
    "Connection: close\r\n\r\n";

class ScriptedServer {
 public:
  // Each connection gets the next response's bytes and is then closed. With
  // `hold_last`, the last connection stays open until the server is destroyed.
  explicit ScriptedServer(std::vector<std::string> responses, bool hold_last = false)
      : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        responses_(std::move(responses)),
        hold_last_(hold_last) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    release_.Open();
    thread_.join();
  }
  std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    for (std::size_t i = 0; i < responses_.size(); ++i) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec) return;
      std::string head;
      asio::read_until(socket, asio::dynamic_buffer(head), "\r\n\r\n", ec);
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(head);
      }
      asio::write(socket, asio::buffer(responses_[i]), ec);
      if (hold_last_ && i + 1 == responses_.size()) release_.Wait();
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
    acceptor_.close();  // later connection attempts are refused
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<std::string> responses_;
  bool hold_last_;
  forkline::testing::Gate release_;
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

SseClientOptions Options(const ScriptedServer& server) {
  SseClientOptions o;
  o.port = server.port();
  o.target = "/v1/runs/r_1/events";
  o.retry_delay = std::chrono::milliseconds(10);
  o.max_failed_connects = 2;
  return o;
}

// Chunked transfer encoding, one chunk per piece.
std::string Chunked(const std::vector<std::string>& pieces) {
  std::string out =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  char size[32];
  for (const std::string& p : pieces) {
    std::snprintf(size, sizeof size, "%zx\r\n", p.size());
    out += size + p + "\r\n";
  }
  return out + "0\r\n\r\n";
}

TEST(SseClientTest, ParsesStreamAndResumesWithLastEventIdAfterADrop) {
  ScriptedServer server({
      std::string(kStreamHead) +
          "retry: 10\n\n: keepalive\n\nid: 1\nevent: step.completed\ndata: {\"a\":1}\n\n"
          "id: 2\ndata: line1\ndata: line2\n\nid: 3\ndata: cut off",  // dropped mid-event
      Chunked({"id: 3\r", "\ndata: x\r\n\r\n", "event: step.progress\ndata: p\n\n",
               "event: end\ndata: bye\n\n"}),
  });
  SseClient client(Options(server));
  std::vector<SseEvent> events;
  ASSERT_OK(client.Run([&](const SseEvent& e) {
    events.push_back(e);
    return e.type != "end";
  }));
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].type, "step.completed");
  EXPECT_EQ(events[0].data, "{\"a\":1}");
  EXPECT_EQ(events[0].id, "1");
  EXPECT_EQ(events[1].type, "message");
  EXPECT_EQ(events[1].data, "line1\nline2");
  EXPECT_EQ(events[2].data, "x");
  EXPECT_EQ(events[2].id, "3");
  EXPECT_EQ(events[3].type, "step.progress");
  EXPECT_FALSE(events[3].id.has_value());
  EXPECT_EQ(events[4].data, "bye");
  EXPECT_EQ(client.connections(), 2);
  EXPECT_EQ(client.last_event_id(), "3");
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].rfind("GET /v1/runs/r_1/events HTTP/1.1\r\n", 0), 0u) << requests[0];
  EXPECT_NE(requests[0].find("Accept: text/event-stream"), std::string::npos);
  EXPECT_EQ(requests[0].find("Last-Event-ID"), std::string::npos);
  EXPECT_NE(requests[1].find("Last-Event-ID: 2\r\n"), std::string::npos) << requests[1];
}

TEST(SseClientTest, SendsInitialLastEventIdAndToken) {
  ScriptedServer server({std::string(kStreamHead) + "id: 6\ndata: six\n\n"});
  SseClientOptions o = Options(server);
  o.last_event_id = "5";
  o.token = "t0k";
  o.reconnect = false;
  SseClient client(o);
  int n = 0;
  ASSERT_OK(client.Run([&](const SseEvent&) { return ++n > 0; }));
  EXPECT_EQ(n, 1);
  const std::string request = server.requests().at(0);
  EXPECT_NE(request.find("Last-Event-ID: 5\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("Authorization: Bearer t0k\r\n"), std::string::npos) << request;
}

TEST(SseClientTest, HttpErrorIsReturnedWithoutReconnecting) {
  const std::string body = R"({"error":{"code":"not_found","message":"run r_1 does not exist"}})";
  ScriptedServer server(
      {"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
       "Content-Length: " +
       std::to_string(body.size()) + "\r\n\r\n" + body});
  SseClient client(Options(server));
  Status s = client.Run([](const SseEvent&) { return true; });
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "run r_1 does not exist");
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(SseClientTest, GivesUpWhenNothingListens) {
  // A port that is bound but not listening refuses connections, and stays ours.
  asio::io_context io;
  tcp::acceptor bound(io);
  bound.open(tcp::v4());
  bound.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  SseClientOptions o;
  o.port = std::to_string(bound.local_endpoint().port());
  o.target = "/v1/runs/r_1/events";
  o.retry_delay = std::chrono::milliseconds(10);
  o.max_failed_connects = 3;
  SseClient client(o);
  Status s = client.Run([](const SseEvent&) { return true; });
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find("3 attempts"), std::string::npos) << s.ToString();
}

TEST(SseClientTest, StopFromAnotherThreadEndsAnOpenStream) {
  ScriptedServer server({std::string(kStreamHead) + "id: 1\ndata: one\n\n"}, /*hold_last=*/true);
  SseClient client(Options(server));
  forkline::testing::Gate got_one;
  std::thread stopper([&] {
    got_one.Wait();
    client.Stop();
  });
  ASSERT_OK(client.Run([&](const SseEvent&) {
    got_one.Open();
    return true;
  }));
  stopper.join();
  EXPECT_EQ(client.last_event_id(), "1");
}

}  // namespace
}  // namespace forkline::client
