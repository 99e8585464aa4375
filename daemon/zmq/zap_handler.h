#pragma once
// A ZAP (ZeroMQ RFC 27) handler that lets in only CURVE clients whose public key is on
// an allow-list. It binds inproc://zeromq.zap.01 in the server's own context, and the
// server's socket thread polls it beside the ROUTER (libzmq waits for ZAP replies
// asynchronously, so answering from that thread is fine).
//
// Thread safety: none; only the socket thread touches it after Create.

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "eventstore/status.h"

namespace forkline {

class ZapHandler {
 public:
  using LogFn = std::function<void(std::string_view level, std::string_view msg)>;

  // `allowed_z85` are 40-character Z85 public keys; kBadRequest names a bad one.
  static Result<std::unique_ptr<ZapHandler>> Create(zmq::context_t& context,
                                                    const std::vector<std::string>& allowed_z85,
                                                    LogFn log);

  zmq::socket_t& socket() { return socket_; }
  // Answers one pending ZAP request (call when the socket is readable).
  void HandleOne();

 private:
  ZapHandler(zmq::socket_t socket, std::set<std::string> allowed, LogFn log)
      : socket_(std::move(socket)), allowed_(std::move(allowed)), log_(std::move(log)) {}

  zmq::socket_t socket_;
  std::set<std::string> allowed_;  // 32-byte binary keys
  LogFn log_;
};

// Decodes a 40-character Z85 CURVE key to its 32 bytes; kBadRequest naming `what`.
Result<std::string> DecodeCurveKey(std::string_view z85, std::string_view what);

}  // namespace forkline
