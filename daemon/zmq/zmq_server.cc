#include "daemon/zmq/zmq_server.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <pthread.h>

#include <zmq.h>
#include <zmq.hpp>

#include "daemon/api/auth.h"
#include "daemon/zmq/wire.h"
#include "daemon/zmq/zap_handler.h"

namespace forkline {
namespace {

namespace json = boost::json;

// Frames kept of one message; the rest are counted and discarded (bad_request anyway).
constexpr std::size_t kMaxFrames = 16;
// Messages read per poll wake-up before queued replies get their turn.
constexpr int kReadBatch = 64;

void StderrLog(std::string_view level, std::string_view msg) {
  std::fprintf(stderr, "forkline zmq %.*s: %.*s\n", static_cast<int>(level.size()), level.data(),
               static_cast<int>(msg.size()), msg.data());
}

Status CheckCurveKeys(const ZmqOptions& o) {
  if (o.curve_server_secret_key.empty()) {
    if (!o.curve_allowed_client_keys.empty()) {
      return Status::BadRequest(
          "zmq: curve_allowed_client_keys needs curve_server_secret_key (CURVE)");
    }
    return Status::Ok();
  }
  if (zmq_has("curve") == 0) {
    return Status::BadRequest("zmq: CURVE keys configured but libzmq was built without CURVE");
  }
  Result<std::string> secret = DecodeCurveKey(o.curve_server_secret_key, "curve_server_secret_key");
  if (!secret.ok()) return secret.status();
  if (!o.curve_server_public_key.empty()) {
    char derived[41] = {};
    if (zmq_curve_public(derived, o.curve_server_secret_key.c_str()) != 0 ||
        o.curve_server_public_key != derived) {
      return Status::BadRequest(
          "zmq: curve_server_public_key does not belong to curve_server_secret_key");
    }
  }
  return Status::Ok();
}

}  // namespace

ZmqServer::ZmqServer(ZmqOptions options, CommandHandler& handler)
    : options_(std::move(options)), handler_(handler) {
  if (!options_.log) options_.log = StderrLog;
}

ZmqServer::~ZmqServer() {
  Stop();
}

Status ZmqServer::Start() {
  if (thread_.joinable()) return Status::Internal("zmq: server already started");
  FL_RETURN_IF_ERROR(CheckCurveKeys(options_));
  Result<std::shared_ptr<ReplyQueue>> queue = ReplyQueue::Create();
  if (!queue.ok()) return queue.status();
  queue_ = std::move(queue).value();
  if (Status s = OpenSockets(); !s.ok()) {
    zap_.reset();
    router_.reset();
    context_.reset();
    return s;
  }
  stopping_.store(false);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "fl-zmq");
    Loop();
  });
  Log("info", "zmq: listening on " + endpoint_);
  return Status::Ok();
}

Status ZmqServer::OpenSockets() {
  try {
    context_ = std::make_unique<zmq::context_t>(1);
    router_ = std::make_unique<zmq::socket_t>(*context_, zmq::socket_type::router);
    router_->set(zmq::sockopt::router_mandatory, true);
    router_->set(zmq::sockopt::linger, options_.linger_ms);
    if (options_.max_message_bytes > 0) {
      const std::size_t max = options_.max_message_bytes;
      const std::size_t hard = std::max(2 * max, max + (std::size_t{1} << 20));
      router_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(hard));
    }
    if (!options_.curve_server_secret_key.empty()) {
      router_->set(zmq::sockopt::curve_server, true);
      router_->set(zmq::sockopt::curve_secretkey, options_.curve_server_secret_key);
    }
    if (!options_.curve_allowed_client_keys.empty()) {
      Result<std::unique_ptr<ZapHandler>> zap =
          ZapHandler::Create(*context_, options_.curve_allowed_client_keys, options_.log);
      if (!zap.ok()) return zap.status();
      zap_ = std::move(zap).value();
      router_->set(zmq::sockopt::zap_domain, "forkline");
    }
  } catch (const zmq::error_t& e) {
    return Status::Internal(std::string("zmq: socket setup: ") + e.what());
  }
  try {
    router_->bind(options_.bind);
    endpoint_ = router_->get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    std::string msg = "zmq: cannot bind " + options_.bind + ": " + e.what();
    if (e.num() == EINVAL || e.num() == EPROTONOSUPPORT) return Status::BadRequest(msg);
    return Status::Unavailable(msg);
  }
  return Status::Ok();
}

void ZmqServer::Stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true);
  queue_->Wake();
  thread_.join();
  context_.reset();  // every socket is closed by now, so this does not block
  Log("info", "zmq: stopped");
}

void ZmqServer::Loop() {
  std::vector<zmq::pollitem_t> items = {{router_->handle(), 0, ZMQ_POLLIN, 0},
                                        {nullptr, queue_->fd(), ZMQ_POLLIN, 0}};
  if (zap_) items.push_back({zap_->socket().handle(), 0, ZMQ_POLLIN, 0});
  while (!stopping_.load()) {
    const std::chrono::milliseconds timeout(unsent_.empty() ? -1 : 5);
    try {
      zmq::poll(items, timeout);
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) Log("error", std::string("zmq: poll: ") + e.what());
      continue;
    }
    if (stopping_.load()) break;
    if ((items[0].revents & ZMQ_POLLIN) != 0) ReadRequests();
    if (zap_ && (items[2].revents & ZMQ_POLLIN) != 0) zap_->HandleOne();
    SendReplies(false);
  }
  queue_->Close();
  SendReplies(true);
  LogDropped("", true);
  zap_.reset();
  router_.reset();  // closes with ZMQ_LINGER, so the replies just sent still leave
}

void ZmqServer::ReadRequests() {
  for (int n = 0; n < kReadBatch; ++n) {
    std::vector<zmq::message_t> frames;
    std::size_t count = 0;
    try {
      zmq::message_t msg;
      if (!router_->recv(msg, zmq::recv_flags::dontwait)) return;
      bool more = msg.more();
      frames.push_back(std::move(msg));
      count = 1;
      while (more) {
        zmq::message_t part;
        (void)router_->recv(part, zmq::recv_flags::none);  // the rest is already here
        more = part.more();
        if (frames.size() < kMaxFrames) frames.push_back(std::move(part));
        ++count;
      }
    } catch (const zmq::error_t& e) {
      Log("error", std::string("zmq: recv: ") + e.what());
      return;
    }
    HandleMessage(frames, count);
  }
}

void ZmqServer::HandleMessage(std::vector<zmq::message_t>& frames, std::size_t frame_count) {
  // frames[0] is the routing id ROUTER added; the envelope ends at the first empty frame.
  std::size_t envelope_size = 1;
  for (std::size_t i = 1; i < frames.size(); ++i) {
    if (frames[i].size() == 0) {
      envelope_size = i + 1;
      break;
    }
  }
  std::vector<std::string> envelope;
  for (std::size_t i = 0; i < envelope_size; ++i) {
    envelope.push_back(frames[i].to_string());
  }
  if (frame_count > frames.size()) {
    Reject(std::move(envelope),
           Status::BadRequest("message has " + std::to_string(frame_count - 1) +
                              " frames; expected one request frame (after an optional empty "
                              "delimiter)"));
    return;
  }
  const std::size_t body_frames = frame_count - envelope_size;
  if (body_frames != 1) {
    Reject(std::move(envelope),
           Status::BadRequest(body_frames == 0
                                  ? "message has no request frame after the envelope"
                                  : "expected one request frame after the envelope, got " +
                                        std::to_string(body_frames)));
    return;
  }
  const zmq::message_t& body_msg = frames[envelope_size];
  const std::string_view body(static_cast<const char*>(body_msg.data()), body_msg.size());
  if (options_.max_message_bytes > 0 && body.size() > options_.max_message_bytes) {
    Reject(std::move(envelope),
           Status::TooLarge("request is " + std::to_string(body.size()) + " bytes; the limit is " +
                            std::to_string(options_.max_message_bytes)));
    return;
  }
  json::value id;
  Result<WireRequest> parsed = ParseWireRequest(body, &id);
  const Status rejection = !parsed.ok() ? parsed.status()
                           : !TokenAccepted(options_.token, parsed->token)
                               ? Status::Unauthorized("missing or wrong token")
                               : Status::Ok();
  if (!rejection.ok()) {
    queue_->Push({std::move(envelope), EncodeWireReply(id, rejection)});
    return;
  }
  WireRequest& req = parsed.value();
  CommandRequest request{IdForHandler(req.id), std::move(req.cmd), std::move(req.args),
                         std::move(req.key), "zmq"};
  auto replied = std::make_shared<std::atomic<bool>>(false);
  ReplyFn reply = [queue = queue_, envelope = std::move(envelope), id = std::move(req.id), replied,
                   log = options_.log](const CommandReply& result) {
    if (replied->exchange(true)) {
      log("error", "zmq: handler replied twice; second reply ignored");
      return;
    }
    if (!queue->Push({envelope, EncodeWireReply(id, result)})) {
      log("warn", "zmq: reply after shutdown dropped");
    }
  };
  try {
    handler_.Handle(std::move(request), reply);
  } catch (const std::exception& e) {
    reply(Status::Internal(std::string("handler threw: ") + e.what()));
  }
}

void ZmqServer::Reject(std::vector<std::string> envelope, const Status& status) {
  queue_->Push({std::move(envelope), EncodeWireReply(json::value(), status)});
}

void ZmqServer::SendReplies(bool final_pass) {
  const auto now = std::chrono::steady_clock::now();
  const auto deadline = now + std::chrono::milliseconds(options_.send_timeout_ms);
  for (OutgoingReply& r : queue_->TakeAll()) {
    unsent_.push_back({std::move(r), deadline});
  }
  std::vector<Unsent> still;
  for (Unsent& u : unsent_) {
    if (TrySend(u.reply)) continue;
    if (final_pass || now >= u.deadline) {
      LogDropped("the client is not reading (its queue is full)");
      continue;
    }
    still.push_back(std::move(u));
  }
  unsent_ = std::move(still);
}

void ZmqServer::LogDropped(std::string_view why, bool flush) {
  const auto now = std::chrono::steady_clock::now();
  if (!flush) ++drops_unlogged_;
  if (drops_unlogged_ == 0) return;
  if (!flush && now - drop_logged_at_ < std::chrono::seconds(1)) return;
  const std::string count = std::to_string(drops_unlogged_);
  if (flush) {
    Log("warn", "zmq: " + count + " more replies dropped (clients gone or not reading)");
  } else {
    Log("warn", "zmq: reply dropped: " + std::string(why) +
                    (drops_unlogged_ > 1 ? " (" + count + " since the last such line)" : ""));
  }
  drops_unlogged_ = 0;
  drop_logged_at_ = now;
}

bool ZmqServer::TrySend(const OutgoingReply& reply) {
  try {
    for (std::size_t i = 0; i < reply.envelope.size(); ++i) {
      const auto sent = router_->send(zmq::buffer(reply.envelope[i]),
                                      zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      if (!sent) return false;  // EAGAIN, only possible on the routing id frame
    }
    (void)router_->send(zmq::buffer(reply.body), zmq::send_flags::dontwait);
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) {
      LogDropped("the client has gone away (EHOSTUNREACH)");
    } else {
      Log("error", std::string("zmq: send: ") + e.what());
    }
  }
  return true;
}

}  // namespace forkline
