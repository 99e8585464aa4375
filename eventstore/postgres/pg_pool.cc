#include "eventstore/postgres/pg_pool.h"

namespace forkline::pg {

ConnectionPool::ConnectionPool(std::string url, std::string schema, std::size_t max)
    : url_(std::move(url)), schema_(std::move(schema)), max_(max == 0 ? 1 : max) {}

std::unique_ptr<pqxx::connection> ConnectionPool::Take() {
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !idle_.empty() || open_ < max_; });
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_;  // reserve the slot, connect outside the lock
  }
  try {
    return Connect(url_, schema_);
  } catch (...) {
    Give(nullptr);
    throw;
  }
}

// Returns a session to the pool; nullptr (or a broken one) frees its slot.
void ConnectionPool::Give(std::unique_ptr<pqxx::connection> conn) {
  {
    std::lock_guard lock(mu_);
    if (conn && conn->is_open()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  cv_.notify_one();
}

Status ConnectionPool::Run(std::string_view what,
                           const std::function<void(pqxx::connection&)>& fn) {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<pqxx::connection> conn;
    try {
      conn = Take();
      fn(*conn);
      Give(std::move(conn));
      return Status::Ok();
    } catch (const pqxx::broken_connection& e) {
      if (conn) {  // (when Take threw, it freed its slot itself)
        conn.reset();
        Give(nullptr);
      }
      if (attempt > 0) return ToStatus(e, what);
    } catch (const std::exception& e) {
      if (conn) Give(std::move(conn));
      return ToStatus(e, what);
    }
  }
}

}  // namespace forkline::pg
