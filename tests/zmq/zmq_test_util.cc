#include "tests/zmq/zmq_test_util.h"

#include <stdexcept>

namespace forkline::testing {

namespace json = boost::json;

json::object FakeHandler::Echo(const CommandRequest& r) {
  return {{"cmd", r.cmd}, {"args", r.args}, {"key", r.key}, {"id", r.id}, {"origin", r.origin}};
}

void FakeHandler::Handle(CommandRequest request, ReplyFn reply) {
  const std::string& cmd = request.cmd;
  if (cmd == "echo") return reply(Echo(request));
  if (cmd == "twice") {
    reply(Echo(request));
    return reply(Echo(request));
  }
  if (cmd == "throw") throw std::runtime_error("boom");
  if (cmd == "fail") {
    const json::object& a = request.args;
    const std::string code = a.contains("code") ? json::value_to<std::string>(a.at("code")) : "";
    const std::string message =
        a.contains("message") ? json::value_to<std::string>(a.at("message")) : "";
    Code c = Code::kInternal;
    for (Code k : {Code::kBadRequest, Code::kUnauthorized, Code::kNotFound, Code::kConflict,
                   Code::kTooLarge, Code::kUnavailable, Code::kInternal}) {
      if (CodeName(k) == code) c = k;
    }
    return reply(Status(c, message));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (cmd == "later") {
    threads_.emplace_back([request = std::move(request), reply] { reply(Echo(request)); });
    return;
  }
  if (cmd == "block") {
    blocked.Open();
    threads_.emplace_back([this, reply] {
      release.Wait();
      reply(json::object{{"released", true}});
    });
    return;
  }
  reply(Status::BadRequest("unknown command '" + cmd + "'"));
}

void FakeHandler::JoinAll() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads)
    t.join();
}

TestClient::TestClient(zmq::context_t& context, const std::string& endpoint, zmq::socket_type type,
                       const std::optional<Curve>& curve)
    : socket_(context, type) {
  socket_.set(zmq::sockopt::linger, 0);
  if (curve) {
    socket_.set(zmq::sockopt::curve_serverkey, curve->server_public);
    socket_.set(zmq::sockopt::curve_publickey, curve->client_public);
    socket_.set(zmq::sockopt::curve_secretkey, curve->client_secret);
  }
  socket_.connect(endpoint);
}

void TestClient::SendFrames(const std::vector<std::string>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
    (void)socket_.send(zmq::buffer(frames[i]), flags);
  }
}

std::optional<std::vector<std::string>> TestClient::Recv(std::chrono::milliseconds timeout) {
  std::vector<zmq::pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
  zmq::poll(items, timeout);
  if ((items[0].revents & ZMQ_POLLIN) == 0) return std::nullopt;
  std::vector<std::string> frames;
  while (true) {
    zmq::message_t msg;
    (void)socket_.recv(msg);
    frames.push_back(msg.to_string());
    if (!msg.more()) break;
  }
  return frames;
}

json::object TestClient::RecvJson(std::chrono::milliseconds timeout) {
  std::optional<std::vector<std::string>> frames = Recv(timeout);
  if (!frames || frames->empty()) return {};
  json::value v = json::parse(frames->back());
  return v.is_object() ? v.get_object() : json::object{};
}

}  // namespace forkline::testing
