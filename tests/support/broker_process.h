// BrokerProcess: runs the real switchboard-broker executable for integration tests.
//
// Start() forks and execs the broker with the given data directory and endpoint and waits
// (with a deadline, never a sleep) for its "ready" line on stdout. Kill() sends SIGKILL,
// Terminate() SIGTERM; both reap the process. The destructor kills a broker still running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace switchboard::testing {

class BrokerProcess {
 public:
  // `data_dir` and `endpoint` (e.g. "ipc:///tmp/x/broker.sock") are passed as --data-dir and
  // --bind; metrics are off unless `extra_args` turn them on ("--metrics-bind",
  // "127.0.0.1:0" serves them on a free port: see metrics_port()).
  BrokerProcess(std::string data_dir, std::string endpoint,
                std::vector<std::string> extra_args = {});
  ~BrokerProcess();

  // Starts the broker; returns an empty string when it is ready, or what went wrong
  // (including what the broker printed) if it exited or said nothing within `timeout`.
  std::string Start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // SIGKILL and reap.
  void Kill();
  // SIGTERM, wait up to `timeout` for it to exit; returns its exit status, or -1 on timeout
  // (then it is killed).
  int Terminate(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& endpoint() const { return endpoint_; }
  // The port of the broker's /metrics, from its ready line; 0 if metrics are off.
  int metrics_port() const { return metrics_port_; }
  // Everything the broker wrote to stderr so far (read after it exited), for diagnostics.
  std::string StderrLog() const;

  // Path of the broker executable (set by CMake as SWITCHBOARD_BROKER_PATH).
  static std::string BinaryPath();

 private:
  std::string data_dir_;
  std::string endpoint_;
  std::vector<std::string> extra_args_;
  std::string stderr_path_;
  pid_t pid_ = -1;
  int metrics_port_ = 0;
  int stdout_fd_ = -1;
};

}  // namespace switchboard::testing
