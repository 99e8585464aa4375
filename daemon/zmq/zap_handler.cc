#include "daemon/zmq/zap_handler.h"

#include <array>
#include <cstdint>

#include <zmq.h>

namespace forkline {

Result<std::string> DecodeCurveKey(std::string_view z85, std::string_view what) {
  if (z85.size() != 40) {
    return Status::BadRequest(std::string(what) + ": a CURVE key is 40 Z85 characters, got " +
                              std::to_string(z85.size()));
  }
  const std::string text(z85);
  std::array<std::uint8_t, 32> bin{};
  if (zmq_z85_decode(bin.data(), text.c_str()) == nullptr) {
    return Status::BadRequest(std::string(what) + ": not a valid Z85 key");
  }
  return std::string(reinterpret_cast<const char*>(bin.data()), bin.size());
}

Result<std::unique_ptr<ZapHandler>> ZapHandler::Create(zmq::context_t& context,
                                                       const std::vector<std::string>& allowed_z85,
                                                       LogFn log) {
  std::set<std::string> allowed;
  for (const std::string& key : allowed_z85) {
    Result<std::string> bin = DecodeCurveKey(key, "curve_allowed_client_keys");
    if (!bin.ok()) return bin.status();
    allowed.insert(std::move(bin).value());
  }
  try {
    zmq::socket_t socket(context, zmq::socket_type::rep);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind("inproc://zeromq.zap.01");
    return std::unique_ptr<ZapHandler>(
        new ZapHandler(std::move(socket), std::move(allowed), std::move(log)));
  } catch (const zmq::error_t& e) {
    return Status::Internal(std::string("zap handler: ") + e.what());
  }
}

void ZapHandler::HandleOne() {
  // Request: version, request id, domain, address, identity, mechanism, credentials…
  std::vector<std::string> frames;
  try {
    while (true) {
      zmq::message_t msg;
      if (!socket_.recv(msg, zmq::recv_flags::dontwait)) break;
      frames.push_back(msg.to_string());
      if (!msg.more()) break;
    }
  } catch (const zmq::error_t& e) {
    log_("error", std::string("zap recv: ") + e.what());
    return;
  }
  if (frames.empty()) return;
  const std::string request_id = frames.size() > 1 ? frames[1] : "";
  const bool curve = frames.size() >= 7 && frames[5] == "CURVE";
  const bool allowed = curve && allowed_.count(frames[6]) > 0;
  if (!allowed) {
    std::string address = frames.size() > 3 ? frames[3] : "?";
    log_("warn", "zmq: CURVE client from " + address + " refused: key not on the allow-list");
  }
  const std::array<std::string, 6> reply = {
      "1.0", request_id, allowed ? "200" : "400", allowed ? "OK" : "key not allowed", "", ""};
  try {
    for (std::size_t i = 0; i < reply.size(); ++i) {
      const auto flags = i + 1 < reply.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      socket_.send(zmq::buffer(reply[i]), flags);
    }
  } catch (const zmq::error_t& e) {
    log_("error", std::string("zap send: ") + e.what());
  }
}

}  // namespace forkline
