// BrokerLauncher: starts the switchboard-broker binary for a bench run and stops it after.
//
// Start() makes a data directory (a fresh temporary one unless the settings name one),
// forks and execs the broker with --bind, --data-dir, --durability, --heartbeat-ms, --window
// (its credit: the same as the clients' window), metrics off and any further --broker-arg, and
// waits (at most 30 s) for its "ready:" line on stdout, from which it takes the bound endpoint (so
// "tcp://127.0.0.1:*" works). The broker's stderr goes to broker.stderr.log in the temporary
// directory.
//
// Thread rules: one thread (main). The destructor stops a broker still running.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/status.h"
#include "settings.h"

namespace switchboard::bench {

class BrokerLauncher {
 public:
  // Fails (kInternal, with what the broker printed) if it cannot be started or is not ready
  // in time.
  static Result<std::unique_ptr<BrokerLauncher>> Start(const Settings& s);
  ~BrokerLauncher();
  BrokerLauncher(const BrokerLauncher&) = delete;
  BrokerLauncher& operator=(const BrokerLauncher&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  const std::string& version() const { return version_; }
  const std::string& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }

  // "" while the broker runs; else how it ended and the tail of its stderr.
  std::string CheckAlive();
  // SIGTERM, then waits up to `timeout_s` for it to exit (SIGKILL after). Removes the
  // temporary directory unless told to keep it. Returns the exit status (128 + signal if
  // killed), or -1 if it was not running.
  int Stop(double timeout_s = 60);

  // CPU seconds (user + system) the broker has used so far; -1 if unknown.
  double CpuSeconds() const;
  // VmHWM in kB; -1 if unknown.
  int64_t PeakRssKb() const;

 private:
  BrokerLauncher() = default;
  std::string StderrTail() const;

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string endpoint_;
  std::string version_;
  std::string temp_dir_;  // removed at Stop unless keep_ and the data is in it
  std::string data_dir_;
  std::string stderr_path_;
  bool keep_ = false;
};

// CPU seconds (user + system) of process `pid` from /proc; -1 if unknown.
double ProcessCpuSeconds(pid_t pid);

}  // namespace switchboard::bench
