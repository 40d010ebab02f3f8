// Child processes for the ops tests: run a tool to completion and capture what it printed
// (promtool, curl), or keep a server running (the broker with its metrics endpoint on, a
// Prometheus server) until the test ends. Waits are for output or exit, with a deadline.
//
// Thread rules: one thread per object.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace switchboard::testing {

struct RunResult {
  int status = -1;  // the exit code; 128 + the signal if killed; -1 if it did not end in time
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `argv` (argv[0] a path, or a name looked up in PATH) to completion, stdin from
// `stdin_path` (or /dev/null when empty), stdout and stderr captured. Killed (SIGKILL) if it
// has not ended within `timeout`.
RunResult RunTool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                  const std::string& stdin_path = "");

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
int FreeLoopbackPort();

// A server process that runs until Terminate, Kill or destruction (which kills it).
class Child {
 public:
  Child() = default;
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Starts `argv` with stdout to a pipe (read by WaitForOutput) and stderr appended to
  // `stderr_path`. Returns an empty string, or what went wrong.
  std::string Start(const std::vector<std::string>& argv, const std::string& stderr_path);
  // Reads stdout until a complete line containing `needle` has been seen; returns that line,
  // or an empty string if the process closed stdout (exited) or `timeout` passed first.
  std::string WaitForLine(const std::string& needle, std::chrono::milliseconds timeout);
  // SIGTERM, then waits up to `timeout` for the exit; returns the exit code (128 + signal
  // if killed by one), or -1 on timeout (it is then killed).
  int Terminate(std::chrono::milliseconds timeout);
  // SIGKILL and reap.
  void Kill();
  // True until the process has exited (checked without blocking).
  bool Running();

  pid_t pid() const { return pid_; }
  // Everything seen on stdout so far.
  const std::string& output() const { return out_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string out_;
};

}  // namespace switchboard::testing
