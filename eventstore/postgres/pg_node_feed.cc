#include "eventstore/postgres/pg_node_feed.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "eventstore/postgres/pg_common.h"

namespace forkline::pg {
namespace {

constexpr std::size_t kPage = 1000;

// A notification only wakes the loop; what to deliver is read by position.
class WakeUp final : public pqxx::notification_receiver {
 public:
  using pqxx::notification_receiver::notification_receiver;
  void operator()(const std::string& /*payload*/, int /*backend_pid*/) override {}
};

}  // namespace

NodeFeed::NodeFeed(const PostgresStoreOptions& options, std::uint64_t start, ReadAllFn read_all,
                   LastPositionFn last_position, PublishFn publish)
    : options_(options),
      read_all_(std::move(read_all)),
      last_position_(std::move(last_position)),
      publish_(std::move(publish)),
      last_published_(start),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "fl-pg-feed");
    Loop();
  });
}

NodeFeed::~NodeFeed() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);  // ends a wait on the connection at once
  thread_.join();
  ::close(wake_fd_);
}

bool NodeFeed::Stopping() {
  std::lock_guard lock(stop_mu_);
  return stopping_;
}

bool NodeFeed::PublishThrough(const EventList& own) {
  std::lock_guard lock(mu_);
  return CatchUpLocked(own.back()->position, &own);
}

bool NodeFeed::CatchUpLocked(std::uint64_t upto, const EventList* own) {
  const auto give_up = std::chrono::steady_clock::now() + kOwnCatchUpFor;
  auto pause = std::chrono::milliseconds(50);
  while (last_published_ < upto) {
    if (own != nullptr && own->front()->position <= last_published_ + 1) {
      EventList rest;  // a catch-up read may already have delivered part of `own`
      for (const EventPtr& e : *own) {
        if (e->position > last_published_) rest.push_back(e);
      }
      if (!rest.empty()) publish_(rest);
      last_published_ = std::max(last_published_, own->back()->position);
      continue;
    }
    const std::uint64_t stop = own != nullptr ? own->front()->position - 1 : upto;
    auto page = read_all_(last_published_, std::min<std::uint64_t>(stop - last_published_, kPage));
    const bool read = page.ok() && !page->empty() && page->front()->position == last_published_ + 1;
    if (!read) {
      // Own events wait for the ones before them: their appenders are answered only after
      // the listeners have folded them. Try again unless that has taken too long.
      if (own == nullptr || std::chrono::steady_clock::now() + pause > give_up) return false;
      std::unique_lock stop_lock(stop_mu_);
      if (stop_cv_.wait_for(stop_lock, pause, [this] { return stopping_; })) return false;
      pause = std::min(pause * 2, std::chrono::milliseconds(1000));
      continue;
    }
    publish_(*page);
    last_published_ = page->back()->position;
  }
  return true;
}

void NodeFeed::Loop() {
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<WakeUp> wake;
  for (;;) {
    if (Stopping()) return;
    bool broken = false;
    try {
      if (!conn) {
        conn = Connect(options_.url, options_.schema);
        wake = std::make_unique<WakeUp>(*conn, ChannelFor(options_.schema));
      }
      // A commit anywhere (the connection's socket), a stop (wake_fd_), or a second passed.
      pollfd fds[2] = {{conn->sock(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      ::poll(fds, 2, 1000);
      if (fds[1].revents != 0) return;
      conn->get_notifs();
    } catch (const std::exception&) {
      wake.reset();
      conn.reset();
      broken = true;
    }
    if (broken) {  // the server is away: try again in a second
      std::unique_lock lock(stop_mu_);
      stop_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
      continue;
    }
    auto last = last_position_();
    if (!last.ok()) continue;
    std::lock_guard lock(mu_);
    CatchUpLocked(*last, nullptr);
  }
}

}  // namespace forkline::pg
