#include "bench/store_workload.h"

#include <fcntl.h>
#include <rocksdb/db.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "bench/bench_util.h"
#include "eventstore/rocksdb_codec.h"

namespace forkline::bench {

NewEvent PayloadEvent(std::size_t payload_bytes) {
  NewEvent e;
  e.type = "bench.appended";
  e.at = "2024-01-01T00:00:00.000Z";
  const std::size_t wrapper = std::string(R"({"payload":""})").size();
  e.data = R"({"payload":")" + std::string(payload_bytes > wrapper ? payload_bytes - wrapper : 1, 'x') +
           R"("})";
  return e;
}

RateResult RawFsyncRate(const std::string& dir, double seconds, bool append) {
  const std::string path = dir + (append ? "/fsync-append.bin" : "/fsync-inplace.bin");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | (append ? O_APPEND : 0), 0644);
  RateResult r;
  if (fd < 0) {
    std::perror("open");
    return r;
  }
  const std::string block(200, 'f');
  if (!append && (::pwrite(fd, block.data(), block.size(), 0) < 0 || ::fdatasync(fd) != 0)) {
    std::perror("prepare");
  }
  std::vector<double> samples;
  const auto start = Clock::now();
  while (SecondsSince(start) < seconds) {
    const auto t0 = Clock::now();
    const ssize_t n = append ? ::write(fd, block.data(), block.size())
                             : ::pwrite(fd, block.data(), block.size(), 0);
    if (n != static_cast<ssize_t>(block.size()) || ::fdatasync(fd) != 0) {
      std::perror("write/fdatasync");
      break;
    }
    samples.push_back(Micros(t0, Clock::now()));
  }
  r.seconds = SecondsSince(start);
  r.operations = samples.size();
  r.p50_us = Percentile(samples, 50);
  r.p99_us = Percentile(samples, 99);
  ::close(fd);
  ::unlink(path.c_str());
  return r;
}

RateResult ConcurrentAppends(EventStore& store, int appenders, double seconds,
                             const std::string& prefix) {
  std::vector<std::vector<double>> samples(appenders);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(seconds));
  for (int t = 0; t < appenders; ++t) {
    threads.emplace_back([&, t] {
      AppendRequest req;
      req.run_id = prefix + std::to_string(t);
      const NewEvent event = PayloadEvent();
      while (Clock::now() < deadline && !failed.load()) {
        req.events = {event};
        const auto t0 = Clock::now();
        auto result = store.Append(req);
        if (!result.ok()) {
          std::fprintf(stderr, "append failed: %s\n", result.status().ToString().c_str());
          failed = true;
          return;
        }
        samples[t].push_back(Micros(t0, Clock::now()));
        ++req.expected_version;
      }
    });
  }
  for (auto& th : threads) th.join();
  RateResult r;
  r.seconds = SecondsSince(start);
  std::vector<double> all;
  for (auto& s : samples) all.insert(all.end(), s.begin(), s.end());
  r.operations = all.size();
  r.p50_us = Percentile(all, 50);
  r.p99_us = Percentile(all, 99);
  return r;
}

Status LoadRun(EventStore& store, const std::string& run_id, std::uint64_t events,
               std::size_t batch) {
  AppendRequest req;
  req.run_id = run_id;
  const NewEvent event = PayloadEvent();
  std::uint64_t written = 0;
  while (written < events) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(batch, events - written));
    req.events.assign(n, event);
    auto result = store.Append(req);
    if (!result.ok()) return result.status();
    written += n;
    req.expected_version = written;
  }
  return Status::Ok();
}

RateResult ReadHistory(EventStore& store, const std::string& run_id, std::size_t page) {
  RateResult r;
  std::uint64_t after = 0;
  std::size_t bytes = 0;
  const auto start = Clock::now();
  for (;;) {
    auto events = store.ReadStream(run_id, after, page);
    if (!events.ok()) {
      std::fprintf(stderr, "read failed: %s\n", events.status().ToString().c_str());
      break;
    }
    if (events->empty()) break;
    for (const EventPtr& e : *events) bytes += e->data.size();
    r.operations += events->size();
    after = events->back()->version;
  }
  r.seconds = SecondsSince(start);
  if (bytes == 0 && r.operations > 0) std::fprintf(stderr, "read no payload bytes\n");
  return r;
}

RateResult RawIterate(const std::string& path, const std::string& run_id, bool decode) {
  RateResult r;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs{
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {"events", rocksdb::ColumnFamilyOptions()}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path, cfs, &handles, &raw);
  if (!s.ok()) {
    std::fprintf(stderr, "raw open failed: %s\n", s.ToString().c_str());
    return r;
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  const std::string first = rocks::EventKey(run_id, 1);
  const std::string upper = rocks::EventKey(run_id, UINT64_MAX);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::size_t bytes = 0;
  const auto start = Clock::now();
  {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, handles[1]));
    for (it->Seek(first); it->Valid(); it->Next()) {
      bytes += it->key().size() + it->value().size();
      if (decode) {
        auto e = rocks::DecodeEvent(it->value().ToStringView(), it->key().ToStringView());
        if (!e.ok()) break;
        bytes += e->data.size();
      }
      ++r.operations;
    }
  }
  r.seconds = SecondsSince(start);
  if (bytes == 0 && r.operations > 0) std::fprintf(stderr, "iterated no bytes\n");
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db->Close().PermitUncheckedError();
  return r;
}

Result<double> ForkOnce(EventStore& store, const std::string& source, std::uint64_t at,
                        const std::string& fork_id) {
  AppendRequest req;
  req.run_id = fork_id;
  req.expected_version = at;
  req.fork_from = ForkLink{source, at};
  NewEvent forked;
  forked.type = "run.forked";
  forked.at = "2024-01-01T00:00:00.000Z";
  forked.data = R"({"source_run_id":")" + source + R"(","source_version":)" + std::to_string(at) +
                R"(,"at":0,"override":null,"title":"bench"})";
  req.events.push_back(std::move(forked));
  const auto t0 = Clock::now();
  auto result = store.Append(std::move(req));
  const double us = Micros(t0, Clock::now());
  if (!result.ok()) return result.status();
  return us;
}

}  // namespace forkline::bench
