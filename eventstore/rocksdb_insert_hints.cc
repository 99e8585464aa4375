#include "eventstore/rocksdb_insert_hints.h"

#include <rocksdb/slice.h>

#include <cstring>

namespace forkline::rocks {
namespace {

class RunPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "forkline.RunPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    const void* nul = std::memchr(key.data(), '\0', key.size());
    return {key.data(), static_cast<std::size_t>(static_cast<const char*>(nul) - key.data()) + 1};
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return std::memchr(key.data(), '\0', key.size()) != nullptr;
  }
};

class EmptyPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "forkline.EmptyPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override { return {key.data(), 0}; }
  bool InDomain(const rocksdb::Slice& /*key*/) const override { return true; }
};

}  // namespace

std::shared_ptr<const rocksdb::SliceTransform> RunPrefixHints() {
  return std::make_shared<RunPrefix>();
}

std::shared_ptr<const rocksdb::SliceTransform> SingleHint() {
  return std::make_shared<EmptyPrefix>();
}

std::shared_ptr<const rocksdb::SliceTransform> WholeKeyHints() {
  return std::shared_ptr<const rocksdb::SliceTransform>(rocksdb::NewNoopTransform());
}

}  // namespace forkline::rocks
