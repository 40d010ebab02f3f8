// TempDir: a fresh directory under $TMPDIR (or /tmp), removed with everything in it when the
// object goes. For store tests and broker data directories.
#pragma once

#include <string>

namespace switchboard::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace switchboard::testing
