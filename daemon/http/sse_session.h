#pragma once
// One SSE stream (DESIGN §5), on its own strand, with a bounded queue of shared frames.
// Frames are written with non-blocking gathered writes straight from the strand (no
// operation object or completion handler per write, as a raw epoll loop would); only a
// full socket buffer makes the stream wait until the socket is writable again.
//
// Catch-up without gap or duplicate: the session registers with the hub FIRST, then
// reads history in pages after the last id it sent, queueing live items meanwhile.
// When a page comes back short, everything durable before that read has been read, so
// the queued live items are sent next, skipping ids already sent. If the queued live
// items overflow during catch-up they are dropped: they are durable, so the next
// history read returns them. Once live, a queue over sse_queue_limit closes the stream
// (the client resumes with Last-Event-ID), as does a write stalled past the idle timeout.
// Internal to daemon/http.

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/http/net.h"
#include "daemon/http/server_state.h"
#include "daemon/http/sse_hub.h"
#include "daemon/http/sse_stream.h"

namespace forkline {

class SseSession : public std::enable_shared_from_this<SseSession>,
                   public SseSink,
                   public Closable {
 public:
  SseSession(tcp::socket socket, std::shared_ptr<ServerState> state, SseRequest request,
             unsigned http_version);
  ~SseSession() override;

  // Registers, answers (404 before streaming for an unknown run) and streams. Any thread.
  void Start();
  // From the hub's strand: queues the items in the inbox; posts to the session's strand
  // only when the inbox was empty (a session behind takes many items per post).
  void Deliver(std::span<const SseDelivery> batch) override;
  // Any thread: posts to the strand.
  void Close() override;

 private:
  enum class Phase { kStarting, kCatchingUp, kLive, kDraining, kDone };
  // What the strand needs of a live item: its frame and the facts OnLive checks. Not the
  // item itself: every copy of a pointer shared by all streams is a reference count that
  // the hub's thread and the io threads would take turns writing.
  struct LiveFrame {
    Frame frame;
    std::uint64_t id = 0;  // the stream's id for it (IdOf); unused when transient
    bool transient = false;
    bool terminal = false;
  };

  void OnStart();
  void ConfigureSocket();
  Result<FeedList> ReadPage();
  // Queues a history page; goes live when the page is short.
  void AcceptPage(const FeedList& page);
  void CatchUp();
  void GoLive();
  void DrainInbox();
  void OnDeliver(LiveFrame&& live);
  void OnLive(LiveFrame&& live);
  void SendError(const Status& status);
  // Writes what is queued until done or the socket buffer is full (then waits for it).
  void DoWrite();
  // After everything queued went out: what the phase does next.
  void AfterWrites();
  void OnWritable(beast::error_code ec);
  void DoReadClient();
  void OnReadClient(beast::error_code ec, std::size_t bytes);
  void DoTick();
  void OnTick(beast::error_code ec);
  void Finish(std::string_view reason);

  std::shared_ptr<ServerState> state_;
  tcp::socket socket_;
  net::steady_timer timer_;
  const SseRequest request_;
  const unsigned http_version_;
  std::uint64_t hub_id_ = 0;
  std::uint64_t session_id_ = 0;
  Phase phase_ = Phase::kStarting;
  bool counted_ = false;          // counted in forkline_sse_subscribers
  std::uint64_t last_id_ = 0;     // id of the last durable item queued (or skipped)
  bool last_terminal_ = false;    // that item was terminal
  std::deque<LiveFrame> pending_;  // live items during catch-up
  std::deque<Frame> queue_;
  std::size_t history_queued_ = 0;  // frames at the front of queue_ that are not live
  std::vector<Frame> writing_;    // frames taken from queue_ and not yet written whole
  std::size_t written_ = 0;       // bytes of writing_'s first frame already written
  std::vector<net::const_buffer> buffers_;  // DoWrite's, kept for its capacity
  bool waiting_writable_ = false; // waiting for the socket buffer to drain
  std::chrono::steady_clock::time_point write_started_;  // when that wait began
  std::array<char, 512> read_buf_{};

  std::mutex inbox_mu_;  // guards the three below (filled by the hub, drained on the strand)
  std::vector<LiveFrame> inbox_;
  std::vector<LiveFrame> draining_;  // the strand's; swapped with inbox_
  bool inbox_posted_ = false;    // a DrainInbox is posted and has not taken the inbox yet
  bool inbox_overflow_ = false;  // too many items waited (Deliver): they were dropped
};

}  // namespace forkline
