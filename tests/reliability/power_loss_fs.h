#pragma once
// A RocksDB FileSystem for power-loss and I/O-error tests. It forwards everything to
// the real file system and remembers, per file, how many bytes an fsync made durable
// and whether the file's folder entry was fsynced since it was created.
//
//  * Power loss: CutPower() (or the n-th write/sync after CutPowerAtOperation(n)) makes
//    every later write, sync, create, rename and delete fail, as on a machine that lost
//    power. Once the store is closed, DropUnsyncedData() puts the files back to what a
//    disk would hold: unsynced bytes dropped — optionally a torn last page (part of the
//    unsynced bytes kept, or that part overwritten with garbage) — and files created
//    since their folder's last fsync deleted. RestorePower() then lets a reopen proceed.
//    Renames and deletes are taken as durable at once (RocksDB fsyncs the folder right
//    after each rename it relies on).
//  * I/O errors: FailSyncs / FailWrites make matching calls fail with the given status
//    (ENOSPC: IOStatus::NoSpace(), EIO: IOStatus::IOError()). A failed sync loses the
//    file's unsynced bytes for good, as Linux drops dirty pages after a failed fsync:
//    a later sync that succeeds does not bring them back, so a store that retried the
//    fsync and trusted it would lose acknowledged data in DropUnsyncedData.
// Thread-safe.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include <rocksdb/file_system.h>

namespace forkline::testing {

class PowerLossFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  // What is kept of a file's unsynced bytes in DropUnsyncedData.
  enum class Tear { kNone, kPartial, kGarbage };

  struct FileState {
    std::uint64_t written = 0;
    std::uint64_t synced = 0;
    std::uint64_t lost_from = UINT64_MAX;  // a failed sync: bytes from here never durable
    bool entry_durable = true;             // false until its folder is fsynced
  };

  // With `real_syncs` false, syncs are only recorded, not passed on: what survives a
  // power loss is decided by DropUnsyncedData alone, and tests run at memory speed.
  explicit PowerLossFileSystem(const std::shared_ptr<rocksdb::FileSystem>& base,
                               bool real_syncs = false);
  const char* Name() const override { return "PowerLossFileSystem"; }

  void CutPower() { power_on_ = false; }
  // The power goes off at the n-th Append/Sync from now (0 = the next one), before that
  // operation reaches the file.
  void CutPowerAtOperation(std::int64_t n) { cut_at_ = operations_.load() + n; }
  bool power_on() const { return power_on_; }
  // REQUIRES: the store using this file system is closed. Returns the bytes dropped.
  std::uint64_t DropUnsyncedData(Tear tear, std::mt19937_64& rng);
  // Forgets every fault and cut; files are taken as durable as they are.
  void RestorePower();

  // The n-th sync from now (0 = the next one) and the `count` - 1 after it fail with
  // `status`; later ones reach the disk again.
  void FailSyncs(std::int64_t n, rocksdb::IOStatus status, std::int64_t count = INT64_MAX);
  // The same for appends (writes).
  void FailWrites(std::int64_t n, rocksdb::IOStatus status, std::int64_t count = INT64_MAX);
  void ClearFaults();

  std::int64_t syncs() const { return syncs_; }
  std::int64_t appends() const { return appends_; }
  // Injected failures so far (syncs and writes).
  std::int64_t faults() const { return faults_; }

  // Forwarded with bookkeeping.
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                      const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus NewDirectory(const std::string& name, const rocksdb::IOOptions& o,
                                 std::unique_ptr<rocksdb::FSDirectory>* r,
                                 rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& f, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& s, const std::string& t,
                               const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& s, const std::string& t,
                             const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override;

  // Used by the file and folder wrappers.
  rocksdb::IOStatus BeforeAppend();  // counts; fails when the power is off or on a fault
  rocksdb::IOStatus BeforeSync();
  void AfterSyncFailed(FileState* state);
  void FolderSynced(const std::string& folder);
  std::mutex& mu() { return mu_; }
  bool real_syncs() const { return real_syncs_; }

 private:
  rocksdb::IOStatus Wrap(const std::string& f, rocksdb::IOStatus s, bool fresh,
                         std::unique_ptr<rocksdb::FSWritableFile>* r);
  rocksdb::IOStatus PowerCheck();

  std::mutex mu_;  // guards files_ and every FileState
  std::map<std::string, std::shared_ptr<FileState>> files_;
  const bool real_syncs_;
  std::atomic<bool> power_on_{true};
  std::atomic<std::int64_t> operations_{0};
  std::atomic<std::int64_t> cut_at_{INT64_MAX};
  std::atomic<std::int64_t> syncs_{0};
  std::atomic<std::int64_t> appends_{0};
  std::atomic<std::int64_t> faults_{0};
  std::int64_t fail_sync_from_ = INT64_MAX;   // guarded by mu_
  std::int64_t fail_sync_until_ = INT64_MAX;  // guarded by mu_
  std::int64_t fail_write_from_ = INT64_MAX;  // guarded by mu_
  std::int64_t fail_write_until_ = INT64_MAX;  // guarded by mu_
  rocksdb::IOStatus sync_fault_;              // guarded by mu_
  rocksdb::IOStatus write_fault_;             // guarded by mu_
};

}  // namespace forkline::testing
