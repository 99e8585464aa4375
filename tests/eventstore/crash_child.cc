// Crash-test child: appends from several threads forever and writes one line per
// acknowledged event to stdout: "<run> <version> <sha256 of data>". The parent kills
// it with SIGKILL at random moments and checks every acknowledged line survived.
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "eventstore/canonical.h"
#include "eventstore/rocksdb_event_store.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: crash_child DIR SEED\n");
    return 2;
  }
  forkline::RocksDbStoreOptions o;
  o.path = argv[1];
  auto store = forkline::OpenRocksDbEventStore(o);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  std::mutex out_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string run = std::string("run-") + argv[2] + "-" + std::to_string(t);
      auto info = (*store)->GetStream(run);
      std::uint64_t head = info.ok() ? info->head_version : 0;
      for (std::uint64_t i = 0;; ++i) {
        forkline::AppendRequest r;
        r.run_id = run;
        r.expected_version = head;
        const std::string data = "{\"i\":" + std::to_string(i) + ",\"pad\":\"" + std::string(i % 300, 'p') + "\"}";
        r.events.push_back({"e", "2026-01-01T00:00:00.000Z", "", "", data});
        if (i % 3 == 0) r.events.push_back({"e2", "2026-01-01T00:00:00.000Z", "", "", data});
        auto res = (*store)->Append(std::move(r));
        if (!res.ok()) {
          std::fprintf(stderr, "%s\n", res.status().ToString().c_str());
          _exit(1);
        }
        std::lock_guard lock(out_mu);
        for (const auto& e : res->events) {
          std::printf("%s %llu %s\n", e->run_id.c_str(), static_cast<unsigned long long>(e->version),
                      forkline::Sha256Hex(e->data).c_str());
          head = e->version;
        }
        std::fflush(stdout);
      }
    });
  }
  for (auto& th : threads) th.join();
}
