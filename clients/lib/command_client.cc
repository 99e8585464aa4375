#include "clients/lib/command_client.h"

#include <boost/json.hpp>
#include <zmq.h>
#include <zmq.hpp>

namespace forkline::client {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

Status ReplyStatus(const json::object& reply) {
  const json::value* error = reply.if_contains("error");
  if (error == nullptr || !error->is_object()) {
    return Status::Internal("malformed reply: ok is false but there is no error object");
  }
  const json::object& e = error->get_object();
  const json::value* code = e.if_contains("code");
  const json::value* message = e.if_contains("message");
  const std::string code_name = code && code->is_string() ? std::string(code->get_string()) : "";
  std::string text = message && message->is_string() ? std::string(message->get_string()) : "";
  const Code c = CodeFromWireName(code_name);
  if (c == Code::kInternal && code_name != "internal") text = code_name + ": " + text;
  return Status(c, std::move(text));
}

// The outcome for call `id` carried by one reply frame, or nullopt when the frame answers
// another call. A null id is the server's answer to a request it could not read (too
// large, say), which can only be ours.
std::optional<Result<json::object>> ResultFor(const std::string& frame, const std::string& id) {
  boost::system::error_code ec;
  json::value reply = json::parse(frame, ec);
  if (ec || !reply.is_object()) return Result<json::object>(Status::Internal("malformed reply"));
  json::object& obj = reply.get_object();
  const json::value* reply_id = obj.if_contains("id");
  if (reply_id != nullptr && reply_id->is_null()) return Result<json::object>(ReplyStatus(obj));
  if (reply_id == nullptr || !reply_id->is_string() || reply_id->get_string() != id) {
    return std::nullopt;
  }
  const json::value* ok = obj.if_contains("ok");
  if (ok == nullptr || !ok->is_bool()) {
    return Result<json::object>(Status::Internal("malformed reply: no 'ok'"));
  }
  if (!ok->get_bool()) return Result<json::object>(ReplyStatus(obj));
  json::value* result = obj.if_contains("result");
  if (result == nullptr || !result->is_object()) return Result<json::object>(json::object{});
  return Result<json::object>(std::move(result->get_object()));
}

}  // namespace

Code CodeFromWireName(std::string_view name) {
  for (Code c : {Code::kBadRequest, Code::kUnauthorized, Code::kNotFound, Code::kConflict,
                 Code::kTooLarge, Code::kUnavailable, Code::kInternal}) {
    if (CodeName(c) == name) return c;
  }
  return Code::kInternal;
}

CommandClient::CommandClient(CommandClientOptions options) : options_(std::move(options)) {}

CommandClient::~CommandClient() = default;

Status CommandClient::Connect() {
  if (socket_) return Status::Ok();
  try {
    context_ = std::make_unique<zmq::context_t>(1);
    auto socket = std::make_unique<zmq::socket_t>(*context_, zmq::socket_type::dealer);
    socket->set(zmq::sockopt::linger, 0);
    if (!options_.curve_server_key.empty()) {
      std::string pub = options_.curve_public_key;
      std::string sec = options_.curve_secret_key;
      if (pub.empty() || sec.empty()) {
        char p[41] = {};
        char s[41] = {};
        if (zmq_curve_keypair(p, s) != 0) return Status::Unavailable("CURVE is not available");
        pub = p;
        sec = s;
      }
      socket->set(zmq::sockopt::curve_serverkey, options_.curve_server_key);
      socket->set(zmq::sockopt::curve_publickey, pub);
      socket->set(zmq::sockopt::curve_secretkey, sec);
    }
    socket->connect(options_.endpoint);
    socket_ = std::move(socket);
  } catch (const zmq::error_t& e) {
    context_.reset();
    return Status::Unavailable("cannot connect to " + options_.endpoint + ": " + e.what());
  }
  return Status::Ok();
}

Result<json::object> CommandClient::Call(std::string_view cmd, json::object args,
                                         std::string_view key,
                                         std::optional<std::chrono::milliseconds> timeout) {
  transport_failed_ = true;
  FL_RETURN_IF_ERROR(Connect());
  const std::string id = "c" + std::to_string(next_id_++);
  json::object request{{"id", id}, {"cmd", cmd}, {"args", std::move(args)}};
  if (!key.empty()) request["key"] = key;
  if (!options_.token.empty()) request["token"] = options_.token;
  try {
    const std::string body = json::serialize(request);
    (void)socket_->send(zmq::buffer(body), zmq::send_flags::none);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot send to " + options_.endpoint + ": " + e.what());
  }
  return AwaitReply(id, cmd, timeout.value_or(options_.timeout));
}

Result<json::object> CommandClient::AwaitReply(const std::string& id, std::string_view cmd,
                                               std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  try {
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      std::vector<zmq::pollitem_t> items = {{socket_->handle(), 0, ZMQ_POLLIN, 0}};
      if (left.count() > 0) zmq::poll(items, left);
      if ((items[0].revents & ZMQ_POLLIN) == 0) {
        return Status::Unavailable("no reply to " + std::string(cmd) + " from " +
                                   options_.endpoint + " within " +
                                   std::to_string(timeout.count()) + " ms (is forklined running?)");
      }
      std::string last;
      for (bool more = true; more;) {
        zmq::message_t msg;
        (void)socket_->recv(msg);
        more = msg.more();
        last = msg.to_string();
      }
      std::optional<Result<json::object>> result = ResultFor(last, id);
      if (!result) continue;  // the reply to an earlier, timed-out call
      transport_failed_ = false;
      return std::move(*result);
    }
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("receiving from " + options_.endpoint + ": " + e.what());
  }
}

}  // namespace forkline::client
