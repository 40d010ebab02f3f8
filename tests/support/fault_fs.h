// A RocksDB file system for tests that fails appends or syncs of WAL files on demand.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <rocksdb/file_system.h>

namespace switchboard::testing {

// A file system that can fail appends and syncs of WAL files (names ending in ".log").
class FaultInjectionFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultInjectionFs(const std::shared_ptr<rocksdb::FileSystem>& base)
      : FileSystemWrapper(base) {}

  const char* Name() const override { return "FaultInjectionFs"; }

  void set_fail_wal_appends(bool on) { fail_wal_appends_ = on; }
  void set_fail_wal_syncs(bool on) { fail_wal_syncs_ = on; }
  int wal_files_opened() const { return wal_files_opened_; }
  int faults_injected() const { return faults_injected_; }
  int wal_syncs() const { return wal_syncs_; }  // successful syncs of WAL files

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& opts,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    return Wrap(fname, target()->NewWritableFile(fname, opts, result, dbg), result);
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname, const rocksdb::FileOptions& opts,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    return Wrap(fname, target()->ReopenWritableFile(fname, opts, result, dbg), result);
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& opts,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    return Wrap(fname, target()->ReuseWritableFile(fname, old_fname, opts, result, dbg), result);
  }

 private:
  class WalFile : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    WalFile(std::unique_ptr<rocksdb::FSWritableFile> file, FaultInjectionFs* fs)
        : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_wal_appends_) {
        return fs_->Inject("append");
      }
      return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_wal_appends_) {
        return fs_->Inject("append");
      }
      return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_wal_syncs_) {
        return fs_->Inject("sync");
      }
      ++fs_->wal_syncs_;
      return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (fs_->fail_wal_syncs_) {
        return fs_->Inject("fsync");
      }
      ++fs_->wal_syncs_;
      return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }

   private:
    FaultInjectionFs* fs_;
  };

  rocksdb::IOStatus Wrap(const std::string& fname, rocksdb::IOStatus s,
                         std::unique_ptr<rocksdb::FSWritableFile>* result) {
    if (s.ok() && fname.size() >= 4 && fname.compare(fname.size() - 4, 4, ".log") == 0) {
      ++wal_files_opened_;
      *result = std::make_unique<WalFile>(std::move(*result), this);
    }
    return s;
  }
  rocksdb::IOStatus Inject(const char* what) {
    ++faults_injected_;
    return rocksdb::IOStatus::IOError(std::string("injected WAL ") + what + " fault");
  }

  std::atomic<bool> fail_wal_appends_{false};
  std::atomic<bool> fail_wal_syncs_{false};
  std::atomic<int> wal_files_opened_{0};
  std::atomic<int> faults_injected_{0};
  std::atomic<int> wal_syncs_{0};
};

}  // namespace switchboard::testing
