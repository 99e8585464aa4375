#include "eventstore/rocksdb_raw_write.h"

#include <filesystem>
#include <memory>
#include <vector>

#include <rocksdb/db.h>

#include "eventstore/rocksdb_codec.h"

namespace forkline {

Status OverwriteRocksDbEventForTesting(const std::string& path, const Event& event) {
  if (!std::filesystem::exists(path + "/CURRENT")) return Status::NotFound("no store at " + path);
  rocksdb::Options options;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : {rocksdb::kDefaultColumnFamilyName, std::string("events"),
                                  std::string("global"), std::string("streams")}) {
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions(options));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, descriptors, &handles, &raw);
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!s.ok()) return Status::Unavailable("opening " + path + ": " + s.ToString());
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db->Put(wo, handles[1], rocks::EventKey(event.run_id, event.version),
              rocks::EncodeEvent(event));
  for (auto* h : handles)
    db->DestroyColumnFamilyHandle(h);
  db->Close().PermitUncheckedError();
  if (!s.ok()) return Status::Internal("writing the event: " + s.ToString());
  return Status::Ok();
}

}  // namespace forkline
