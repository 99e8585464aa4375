#include "daemon/http/sse_session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <string>

#include "daemon/http/api.h"

namespace forkline {
namespace {

constexpr std::size_t kMaxFramesPerWrite = 64;

std::string StatusLine(unsigned version, int status) {
  const auto s = static_cast<http::status>(status);
  return std::string(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ") + std::to_string(status) +
         " " + std::string(http::obsolete_reason(s)) + "\r\n";
}

Frame StreamHeader(unsigned version) {
  return std::make_shared<const std::string>(
      StatusLine(version, 200) +
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\n"
      "Connection: close\r\n"
      "X-Accel-Buffering: no\r\n"
      "Server: forkline\r\n\r\n");
}

}  // namespace

SseSession::SseSession(tcp::socket socket, std::shared_ptr<ServerState> state,
                       SseRequest request, unsigned http_version)
    : state_(std::move(state)),
      socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      request_(std::move(request)),
      http_version_(http_version),
      last_id_(request_.after) {}

SseSession::~SseSession() {
  if (hub_id_ != 0) state_->hub->Remove(hub_id_);
  if (session_id_ != 0) state_->sessions.Remove(session_id_);
}

void SseSession::Start() {
  net::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->OnStart(); });
}

void SseSession::Deliver(std::span<const SseDelivery> batch) {
  {
    std::lock_guard lock(inbox_mu_);
    // More than a whole queue plus a fan-out's worth waited for the strand: it is that far
    // behind, which counts as a full queue. (One batch may exceed the queue limit by
    // itself: the limit is judged when the strand takes the items and writes them.)
    if (inbox_.size() >= state_->options.sse_queue_limit + SseHub::kMaxItemsPerFanOut) {
      inbox_.clear();
      inbox_overflow_ = true;
    }
    for (const SseDelivery& d : batch) {
      inbox_.push_back({d.frame, request_.IdOf(*d.item), d.item->transient, d.item->terminal});
    }
    if (std::exchange(inbox_posted_, true)) return;
  }
  net::post(socket_.get_executor(), [self = shared_from_this()] { self->DrainInbox(); });
}

void SseSession::DrainInbox() {
  bool overflow = false;
  {
    std::lock_guard lock(inbox_mu_);
    draining_.swap(inbox_);  // both keep their capacity
    inbox_posted_ = false;
    overflow = std::exchange(inbox_overflow_, false);
  }
  if (overflow) {
    if (phase_ == Phase::kLive) {
      draining_.clear();
      return Finish("slow");
    }
    // Catching up: what was dropped is durable and comes back from the history read.
    if (phase_ == Phase::kStarting || phase_ == Phase::kCatchingUp) pending_.clear();
  }
  for (LiveFrame& live : draining_) OnDeliver(std::move(live));
  draining_.clear();
  DoWrite();
}

void SseSession::Close() {
  net::post(socket_.get_executor(), [self = shared_from_this()] { self->Finish("stopped"); });
}

void SseSession::OnStart() {
  session_id_ = state_->sessions.Add(weak_from_this());
  if (session_id_ == 0) return Finish("stopped");
  ConfigureSocket();
  hub_id_ = state_->hub->Add(weak_from_this(), &request_);  // subscribe before reading
  auto page = ReadPage();
  if (!page.ok()) return SendError(page.status());
  counted_ = true;
  state_->metrics.SseSubscriberAdded();
  phase_ = Phase::kCatchingUp;
  queue_.push_back(StreamHeader(http_version_));
  queue_.push_back(RetryFrame());
  history_queued_ = 2;
  AcceptPage(*page);
  DoWrite();
  if (phase_ == Phase::kDone) return;  // all of it written and the stream ended (?until=)
  DoReadClient();
  DoTick();
}

void SseSession::ConfigureSocket() {
  beast::error_code ec;
  socket_.non_blocking(true, ec);  // DoWrite's writes return instead of waiting
  socket_.set_option(tcp::no_delay(true), ec);
  if (state_->options.sse_send_buffer_bytes > 0) {
    socket_.set_option(net::socket_base::send_buffer_size(state_->options.sse_send_buffer_bytes),
                       ec);
  }
#ifdef TCP_USER_TIMEOUT
  // Half-open peers: data (keepalives at least) unacknowledged this long closes it.
  const unsigned timeout_ms = static_cast<unsigned>(state_->options.idle_timeout_s) * 1000u;
  ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout_ms,
               sizeof timeout_ms);
#endif
}

Result<FeedList> SseSession::ReadPage() {
  const std::size_t limit = std::max<std::size_t>(1, state_->options.sse_page_size);
  try {
    if (request_.global) return state_->feed.ReadGlobal(last_id_, limit);
    return state_->feed.ReadRun(request_.run_id, last_id_, limit);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("reading events: ") + e.what());
  }
}

void SseSession::AcceptPage(const FeedList& page) {
  for (const FeedItemPtr& item : page) {
    const std::uint64_t id = request_.IdOf(*item);
    if (item->transient || id <= last_id_) continue;
    last_id_ = id;
    if (!request_.Wants(*item)) continue;
    last_terminal_ = item->terminal;
    queue_.push_back(EncodeFrame(*item, request_.global));
    ++history_queued_;
  }
  if (page.size() < std::max<std::size_t>(1, state_->options.sse_page_size)) GoLive();
}

void SseSession::CatchUp() {
  if (phase_ != Phase::kCatchingUp) return;
  auto page = ReadPage();
  if (!page.ok()) {
    state_->Log("sse: " + page.status().ToString());
    return Finish("error");
  }
  AcceptPage(*page);
  if (phase_ == Phase::kCatchingUp && queue_.empty() && writing_.empty()) {
    // A whole page filtered out: read on, but let other handlers run first.
    return net::post(socket_.get_executor(), [self = shared_from_this()] { self->CatchUp(); });
  }
  DoWrite();
}

void SseSession::GoLive() {
  phase_ = Phase::kLive;
  std::deque<LiveFrame> pending;
  pending.swap(pending_);
  for (LiveFrame& live : pending) {
    if (phase_ != Phase::kLive) break;
    OnLive(std::move(live));
  }
  // A run stream whose history ends with a terminal event is done once that is sent.
  if (phase_ == Phase::kLive && request_.until_terminal && !request_.global && last_terminal_) {
    phase_ = Phase::kDraining;
  }
}

void SseSession::OnDeliver(LiveFrame&& live) {
  switch (phase_) {
    case Phase::kStarting:
    case Phase::kCatchingUp:
      pending_.push_back(std::move(live));
      // Safe to drop: durable items come back from the next history read.
      if (pending_.size() > state_->options.sse_queue_limit) pending_.clear();
      return;
    case Phase::kLive:
      return OnLive(std::move(live));  // the caller writes
    case Phase::kDraining:
    case Phase::kDone: return;
  }
}

void SseSession::OnLive(LiveFrame&& live) {
  if (!live.transient) {
    if (live.id <= last_id_) return;  // already sent from history
    last_id_ = live.id;
    last_terminal_ = live.terminal;
  }
  // Only live frames count: history is bounded by the page size already. A big batch
  // may fill the queue of a stream whose socket takes it all: write before judging.
  if (queue_.size() - history_queued_ >= state_->options.sse_queue_limit) {
    DoWrite();
    if (phase_ == Phase::kDone) return;
    if (queue_.size() - history_queued_ >= state_->options.sse_queue_limit) return Finish("slow");
  }
  queue_.push_back(std::move(live.frame));
  if (request_.until_terminal && !request_.global && live.terminal) phase_ = Phase::kDraining;
}

void SseSession::SendError(const Status& status) {
  const std::string body = ErrorJson(status.code(), status.message());
  queue_.push_back(std::make_shared<const std::string>(
      StatusLine(http_version_, HttpStatusFor(status.code())) +
      "Content-Type: application/json\r\nCache-Control: no-store\r\nConnection: close\r\n"
      "Server: forkline\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
      body));
  phase_ = Phase::kDraining;
  DoWrite();
}

void SseSession::DoWrite() {
  if (waiting_writable_ || phase_ == Phase::kDone) return;
  if (writing_.empty() && queue_.empty()) {
    // Draining with nothing left (a terminal event that ended a full history page).
    if (phase_ == Phase::kDraining) Finish(counted_ ? "until" : "error");
    return;
  }
  while (!writing_.empty() || !queue_.empty()) {
    while (!queue_.empty() && writing_.size() < kMaxFramesPerWrite) {
      writing_.push_back(std::move(queue_.front()));
      queue_.pop_front();
      if (history_queued_ > 0) --history_queued_;
    }
    // writing_'s first frame may have gone out in part (written_ bytes of it).
    buffers_.clear();
    for (const Frame& f : writing_) buffers_.emplace_back(f->data(), f->size());
    buffers_.front() += written_;
    beast::error_code ec;
    const std::size_t n = socket_.write_some(buffers_, ec);
    if (ec == net::error::would_block || ec == net::error::try_again || (!ec && n == 0)) {
      waiting_writable_ = true;
      write_started_ = std::chrono::steady_clock::now();
      socket_.async_wait(tcp::socket::wait_write,
                         beast::bind_front_handler(&SseSession::OnWritable, shared_from_this()));
      return;
    }
    if (ec) return Finish("closed");
    written_ += n;
    std::size_t done = 0;
    while (done < writing_.size() && written_ >= writing_[done]->size()) {
      written_ -= writing_[done]->size();
      ++done;
    }
    writing_.erase(writing_.begin(), writing_.begin() + static_cast<std::ptrdiff_t>(done));
  }
  AfterWrites();
}

void SseSession::OnWritable(beast::error_code ec) {
  waiting_writable_ = false;
  if (phase_ == Phase::kDone) return;
  if (ec) return Finish("closed");
  DoWrite();
}

void SseSession::AfterWrites() {
  if (phase_ == Phase::kCatchingUp) {
    // The next page after other handlers had their turn (as an async write's end did).
    return net::post(socket_.get_executor(), [self = shared_from_this()] { self->CatchUp(); });
  }
  if (phase_ == Phase::kDraining) Finish(counted_ ? "until" : "error");
}

void SseSession::DoReadClient() {
  socket_.async_read_some(net::buffer(read_buf_), beast::bind_front_handler(
                                                      &SseSession::OnReadClient,
                                                      shared_from_this()));
}

// The client sends nothing after its request; a read ending means it went away.
void SseSession::OnReadClient(beast::error_code ec, std::size_t) {
  if (phase_ == Phase::kDone) return;
  if (ec) return Finish("closed");
  DoReadClient();
}

void SseSession::DoTick() {
  if (phase_ == Phase::kDone) return;
  timer_.expires_after(std::chrono::seconds(std::max(1, state_->options.sse_keepalive_s)));
  timer_.async_wait(beast::bind_front_handler(&SseSession::OnTick, shared_from_this()));
}

void SseSession::OnTick(beast::error_code ec) {
  if (ec || phase_ == Phase::kDone) return;
  if (waiting_writable_) {
    const auto stalled = std::chrono::steady_clock::now() - write_started_;
    if (stalled > std::chrono::seconds(state_->options.idle_timeout_s)) return Finish("slow");
  } else if (queue_.empty() && phase_ != Phase::kDraining) {
    queue_.push_back(KeepaliveFrame());
    DoWrite();
  }
  if (phase_ != Phase::kDone) DoTick();  // a finished stream keeps no timer (nor itself) alive
}

void SseSession::Finish(std::string_view reason) {
  if (phase_ == Phase::kDone) return;
  phase_ = Phase::kDone;
  if (hub_id_ != 0) state_->hub->Remove(std::exchange(hub_id_, 0));
  if (session_id_ != 0) state_->sessions.Remove(std::exchange(session_id_, 0));
  pending_.clear();
  queue_.clear();
  history_queued_ = 0;
  timer_.cancel();
  beast::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  if (counted_) state_->metrics.SseSubscriberRemoved(reason);
}

}  // namespace forkline
