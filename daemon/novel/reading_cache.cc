#include "daemon/novel/reading_cache.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>

namespace forkline {
namespace {

struct Entry {
  std::string texts;                 // the chapter texts, one after the other
  std::vector<std::size_t> lengths;  // of each chapter text
  std::shared_ptr<const TextReading> reading;

  bool Matches(const std::vector<std::string_view>& other) const {
    if (other.size() != lengths.size()) return false;
    for (std::size_t i = 0; i < other.size(); ++i) {
      if (other[i].size() != lengths[i]) return false;
    }
    std::size_t at = 0;
    for (std::size_t i = 0; i < other.size(); ++i) {
      if (std::memcmp(texts.data() + at, other[i].data(), other[i].size()) != 0) return false;
      at += lengths[i];
    }
    return true;
  }
};

struct Cache {
  std::mutex mu;
  std::deque<std::shared_ptr<const Entry>> entries;  // guarded by mu; newest last
};

Cache& TheCache() {
  static Cache cache;
  return cache;
}

}  // namespace

void PutTextReading(const std::vector<std::string_view>& texts,
                    std::shared_ptr<const TextReading> reading) {
  std::size_t size = 0;
  for (std::string_view t : texts)
    size += t.size();
  if (size > kReadingCacheBytes) return;
  auto entry = std::make_shared<Entry>();
  entry->texts.reserve(size);
  for (std::string_view t : texts) {
    entry->texts.append(t);
    entry->lengths.push_back(t.size());
  }
  entry->reading = std::move(reading);
  Cache& cache = TheCache();
  std::vector<std::shared_ptr<const Entry>> dropped;  // freed after the lock is released
  const std::lock_guard<std::mutex> lock(cache.mu);
  cache.entries.push_back(std::move(entry));
  std::size_t bytes = 0;
  for (const auto& e : cache.entries)
    bytes += e->texts.size();
  while (cache.entries.size() > kReadingCacheEntries || bytes > kReadingCacheBytes) {
    bytes -= cache.entries.front()->texts.size();
    dropped.push_back(std::move(cache.entries.front()));
    cache.entries.pop_front();
  }
}

std::shared_ptr<const TextReading> TakeTextReading(const std::vector<std::string_view>& texts,
                                                   QuoteStyle style, const Cast& cast) {
  Cache& cache = TheCache();
  std::vector<std::shared_ptr<const Entry>> candidates;
  {
    const std::lock_guard<std::mutex> lock(cache.mu);
    candidates.assign(cache.entries.begin(), cache.entries.end());
  }
  // Compared outside the lock: a 20 MB text takes milliseconds.
  for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
    const TextReading& r = *(*it)->reading;
    if (r.style != style || r.cast.protagonist != cast.protagonist ||
        r.cast.cue_of != cast.cue_of || !(*it)->Matches(texts)) {
      continue;
    }
    const std::lock_guard<std::mutex> lock(cache.mu);
    const auto at = std::find(cache.entries.begin(), cache.entries.end(), *it);
    if (at != cache.entries.end()) cache.entries.erase(at);
    return (*it)->reading;
  }
  return nullptr;
}

void ClearTextReadings() {
  Cache& cache = TheCache();
  std::deque<std::shared_ptr<const Entry>> dropped;  // freed after the lock is released
  const std::lock_guard<std::mutex> lock(cache.mu);
  dropped.swap(cache.entries);
}

}  // namespace forkline
