#include "tests/reliability/power_loss_fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace forkline::testing {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;
using FileState = PowerLossFileSystem::FileState;

constexpr std::uint64_t kPage = 4096;

std::string Folder(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

// A writable file that tells its PowerLossFileSystem what it wrote and synced.
class TrackedFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  TrackedFile(std::unique_ptr<rocksdb::FSWritableFile> target, PowerLossFileSystem* fs,
              std::shared_ptr<FileState> state)
      : FSWritableFileOwnerWrapper(std::move(target)), fs_(fs), state_(std::move(state)) {}

  IOStatus Append(const Slice& data, const IOOptions& o, IODebugContext* dbg) override {
    IOStatus s = fs_->BeforeAppend();
    if (s.ok()) s = target()->Append(data, o, dbg);
    if (s.ok()) {
      std::lock_guard lock(fs_->mu());
      state_->written += data.size();
    }
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& o, const rocksdb::DataVerificationInfo&,
                  IODebugContext* dbg) override {
    return Append(data, o, dbg);
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            IODebugContext* dbg) override {
    IOStatus s = fs_->BeforeAppend();
    if (s.ok()) s = target()->PositionedAppend(data, offset, o, dbg);
    if (s.ok()) {
      std::lock_guard lock(fs_->mu());
      state_->written = std::max<std::uint64_t>(state_->written, offset + data.size());
    }
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            const rocksdb::DataVerificationInfo&, IODebugContext* dbg) override {
    return PositionedAppend(data, offset, o, dbg);
  }
  IOStatus Truncate(uint64_t size, const IOOptions& o, IODebugContext* dbg) override {
    if (!fs_->power_on()) return IOStatus::IOError("power is off");
    IOStatus s = target()->Truncate(size, o, dbg);
    if (s.ok()) {
      std::lock_guard lock(fs_->mu());
      state_->written = size;
      state_->synced = std::min<std::uint64_t>(state_->synced, size);
    }
    return s;
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* dbg) override {
    return SyncWith([&] { return target()->Sync(o, dbg); });
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    return SyncWith([&] { return target()->Fsync(o, dbg); });
  }
  IOStatus Flush(const IOOptions& o, IODebugContext* dbg) override {
    if (!fs_->power_on()) return IOStatus::IOError("power is off");
    return target()->Flush(o, dbg);
  }
  // sync_file_range makes nothing durable: forwarded, not counted.

 private:
  template <typename F>
  IOStatus SyncWith(F sync) {
    std::uint64_t written = 0;
    {
      std::lock_guard lock(fs_->mu());
      written = state_->written;
    }
    IOStatus s = fs_->BeforeSync();
    if (!s.ok()) {
      fs_->AfterSyncFailed(state_.get());
      return s;
    }
    if (fs_->real_syncs()) s = sync();
    if (s.ok()) {
      std::lock_guard lock(fs_->mu());
      state_->synced = std::max(state_->synced, written);
    }
    return s;
  }

  PowerLossFileSystem* fs_;
  std::shared_ptr<FileState> state_;
};

// A folder whose fsync makes the entries of files created in it durable.
class TrackedFolder final : public rocksdb::FSDirectoryWrapper {
 public:
  TrackedFolder(std::unique_ptr<rocksdb::FSDirectory> target, PowerLossFileSystem* fs,
                std::string name)
      : FSDirectoryWrapper(std::move(target)), fs_(fs), name_(std::move(name)) {}
  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    if (!fs_->power_on()) return IOStatus::IOError("power is off");
    IOStatus s = fs_->real_syncs() ? FSDirectoryWrapper::Fsync(o, dbg) : IOStatus::OK();
    if (s.ok()) fs_->FolderSynced(name_);
    return s;
  }
  IOStatus FsyncWithDirOptions(const IOOptions& o, IODebugContext* dbg,
                               const rocksdb::DirFsyncOptions& d) override {
    if (!fs_->power_on()) return IOStatus::IOError("power is off");
    IOStatus s =
        fs_->real_syncs() ? FSDirectoryWrapper::FsyncWithDirOptions(o, dbg, d) : IOStatus::OK();
    if (s.ok()) fs_->FolderSynced(name_);
    return s;
  }

 private:
  PowerLossFileSystem* fs_;
  std::string name_;
};

}  // namespace

PowerLossFileSystem::PowerLossFileSystem(const std::shared_ptr<rocksdb::FileSystem>& base,
                                         bool real_syncs)
    : FileSystemWrapper(base), real_syncs_(real_syncs) {}

IOStatus PowerLossFileSystem::PowerCheck() {
  if (operations_++ >= cut_at_) power_on_ = false;
  return power_on_ ? IOStatus::OK() : IOStatus::IOError("power is off");
}

IOStatus PowerLossFileSystem::BeforeAppend() {
  IOStatus s = PowerCheck();
  if (!s.ok()) return s;
  const std::int64_t n = appends_++;
  std::lock_guard lock(mu_);
  if (n >= fail_write_from_ && n < fail_write_until_) {
    ++faults_;
    return write_fault_;
  }
  return IOStatus::OK();
}

IOStatus PowerLossFileSystem::BeforeSync() {
  IOStatus s = PowerCheck();
  if (!s.ok()) return s;
  const std::int64_t n = syncs_++;
  std::lock_guard lock(mu_);
  if (n >= fail_sync_from_ && n < fail_sync_until_) {
    ++faults_;
    return sync_fault_;
  }
  return IOStatus::OK();
}

void PowerLossFileSystem::AfterSyncFailed(FileState* state) {
  std::lock_guard lock(mu_);
  state->lost_from = std::min(state->lost_from, state->synced);
}

void PowerLossFileSystem::FolderSynced(const std::string& folder) {
  const std::string name = WithoutTrailingSlash(folder);
  std::lock_guard lock(mu_);
  for (auto& [path, state] : files_) {
    if (Folder(path) == name) state->entry_durable = true;
  }
}

void PowerLossFileSystem::FailSyncs(std::int64_t n, IOStatus status, std::int64_t count) {
  std::lock_guard lock(mu_);
  fail_sync_from_ = syncs_ + n;
  fail_sync_until_ = count > INT64_MAX - fail_sync_from_ ? INT64_MAX : fail_sync_from_ + count;
  sync_fault_ = std::move(status);
}

void PowerLossFileSystem::FailWrites(std::int64_t n, IOStatus status, std::int64_t count) {
  std::lock_guard lock(mu_);
  fail_write_from_ = appends_ + n;
  fail_write_until_ = count > INT64_MAX - fail_write_from_ ? INT64_MAX : fail_write_from_ + count;
  write_fault_ = std::move(status);
}

void PowerLossFileSystem::ClearFaults() {
  std::lock_guard lock(mu_);
  fail_sync_from_ = INT64_MAX;
  fail_write_from_ = INT64_MAX;
}

void PowerLossFileSystem::RestorePower() {
  ClearFaults();
  std::lock_guard lock(mu_);
  files_.clear();  // what is on disk now is what the next run starts from
  cut_at_ = INT64_MAX;
  power_on_ = true;
}

std::uint64_t PowerLossFileSystem::DropUnsyncedData(Tear tear, std::mt19937_64& rng) {
  std::lock_guard lock(mu_);
  std::uint64_t dropped = 0;
  for (const auto& [path, state] : files_) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) continue;
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (!state->entry_durable) {
      unlink(path.c_str());
      dropped += size;
      continue;
    }
    const std::uint64_t cut = std::min(state->synced, state->lost_from);
    if (size <= cut) continue;
    std::uint64_t keep = 0;
    if (tear != Tear::kNone) {
      const std::uint64_t page_end = (cut / kPage + 1) * kPage;
      keep = rng() % (std::min(size, page_end) - cut + 1);
    }
    if (truncate(path.c_str(), static_cast<off_t>(cut + keep)) != 0) continue;
    if (tear == Tear::kGarbage && keep > 0) {
      std::vector<char> garbage(keep);
      for (char& c : garbage) c = static_cast<char>(rng());
      const int fd = open(path.c_str(), O_WRONLY);
      if (fd >= 0) {
        if (pwrite(fd, garbage.data(), keep, static_cast<off_t>(cut)) < 0) keep = 0;
        close(fd);
      }
    }
    dropped += size - cut - (tear == Tear::kPartial ? keep : 0);
  }
  return dropped;
}

IOStatus PowerLossFileSystem::Wrap(const std::string& f, IOStatus s, bool fresh,
                                   std::unique_ptr<rocksdb::FSWritableFile>* r) {
  if (!s.ok()) return s;
  std::shared_ptr<FileState> state;
  {
    std::lock_guard lock(mu_);
    auto& slot = files_[f];
    if (fresh || slot == nullptr) {
      slot = std::make_shared<FileState>();
      slot->entry_durable = !fresh;
      if (!fresh) {
        struct stat st;
        if (stat(f.c_str(), &st) == 0) slot->written = slot->synced = st.st_size;
      }
    }
    state = slot;
  }
  *r = std::make_unique<TrackedFile>(std::move(*r), this, std::move(state));
  return s;
}

IOStatus PowerLossFileSystem::NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                              std::unique_ptr<rocksdb::FSWritableFile>* r,
                                              IODebugContext* dbg) {
  if (!power_on_) return IOStatus::IOError("power is off");
  return Wrap(f, target()->NewWritableFile(f, o, r, dbg), true, r);
}

IOStatus PowerLossFileSystem::ReopenWritableFile(const std::string& f,
                                                 const rocksdb::FileOptions& o,
                                                 std::unique_ptr<rocksdb::FSWritableFile>* r,
                                                 IODebugContext* dbg) {
  if (!power_on_) return IOStatus::IOError("power is off");
  return Wrap(f, target()->ReopenWritableFile(f, o, r, dbg), false, r);
}

IOStatus PowerLossFileSystem::ReuseWritableFile(const std::string& f, const std::string& old,
                                                const rocksdb::FileOptions& o,
                                                std::unique_ptr<rocksdb::FSWritableFile>* r,
                                                IODebugContext* dbg) {
  if (!power_on_) return IOStatus::IOError("power is off");
  {
    std::lock_guard lock(mu_);
    files_.erase(old);
  }
  return Wrap(f, target()->ReuseWritableFile(f, old, o, r, dbg), true, r);
}

IOStatus PowerLossFileSystem::NewDirectory(const std::string& name, const IOOptions& o,
                                           std::unique_ptr<rocksdb::FSDirectory>* r,
                                           IODebugContext* dbg) {
  IOStatus s = target()->NewDirectory(name, o, r, dbg);
  if (s.ok()) *r = std::make_unique<TrackedFolder>(std::move(*r), this, WithoutTrailingSlash(name));
  return s;
}

IOStatus PowerLossFileSystem::DeleteFile(const std::string& f, const IOOptions& o,
                                         IODebugContext* dbg) {
  if (!power_on_) return IOStatus::IOError("power is off");
  IOStatus s = target()->DeleteFile(f, o, dbg);
  if (s.ok()) {
    std::lock_guard lock(mu_);
    files_.erase(f);
  }
  return s;
}

IOStatus PowerLossFileSystem::RenameFile(const std::string& s, const std::string& t,
                                         const IOOptions& o, IODebugContext* dbg) {
  if (!power_on_) return IOStatus::IOError("power is off");
  IOStatus st = target()->RenameFile(s, t, o, dbg);
  if (st.ok()) {
    std::lock_guard lock(mu_);
    auto it = files_.find(s);
    if (it != files_.end()) {
      auto state = it->second;
      files_.erase(it);
      state->entry_durable = true;  // see the header: renames are durable at once
      files_[t] = std::move(state);
    } else {
      files_.erase(t);
    }
  }
  return st;
}

IOStatus PowerLossFileSystem::LinkFile(const std::string& s, const std::string& t,
                                       const IOOptions& o, IODebugContext* dbg) {
  if (!power_on_) return IOStatus::IOError("power is off");
  return target()->LinkFile(s, t, o, dbg);
}

}  // namespace forkline::testing
