#include "support/broker_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#ifndef SWITCHBOARD_BROKER_PATH
#error "SWITCHBOARD_BROKER_PATH must be defined by the build"
#endif

namespace switchboard::testing {

BrokerProcess::BrokerProcess(std::string data_dir, std::string endpoint,
                             std::vector<std::string> extra_args)
    : data_dir_(std::move(data_dir)),
      endpoint_(std::move(endpoint)),
      extra_args_(std::move(extra_args)),
      stderr_path_(data_dir_ + ".stderr.log") {}

BrokerProcess::~BrokerProcess() { Kill(); }

std::string BrokerProcess::BinaryPath() { return SWITCHBOARD_BROKER_PATH; }

std::string BrokerProcess::Start(std::chrono::milliseconds timeout) {
  if (pid_ > 0) {
    return "already running";
  }
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return "pipe failed";
  }
  std::vector<std::string> args = {BinaryPath(), "--data-dir", data_dir_, "--bind", endpoint_};
  if (std::find(extra_args_.begin(), extra_args_.end(), "--metrics-bind") == extra_args_.end()) {
    args.insert(args.end(), {"--metrics-bind", ""});
  }
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  pid_ = fork();
  if (pid_ < 0) {
    return "fork failed";
  }
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    int err = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (err >= 0) {
      dup2(err, STDERR_FILENO);
    }
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  stdout_fd_ = out[0];
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (seen.find("ready:") == std::string::npos || seen.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      Kill();
      return "broker not ready within the deadline; stdout: " + seen + " stderr: " + StderrLog();
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      continue;
    }
    char buf[512];
    const ssize_t n = read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) {
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
      close(stdout_fd_);
      stdout_fd_ = -1;
      return "broker exited before it was ready (status " + std::to_string(status) +
             "); stdout: " + seen + " stderr: " + StderrLog();
    }
    seen.append(buf, static_cast<size_t>(n));
  }
  // "... metrics=http://127.0.0.1:9570/metrics ...": the port the broker serves metrics on.
  metrics_port_ = 0;
  const size_t at = seen.find("metrics=http://");
  if (at != std::string::npos) {
    const size_t end = seen.find("/metrics", at + 15);
    const size_t colon = seen.rfind(':', end);
    if (end != std::string::npos && colon != std::string::npos && colon > at) {
      metrics_port_ = std::atoi(seen.substr(colon + 1, end - colon - 1).c_str());
    }
  }
  return "";
}

void BrokerProcess::Kill() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
}

int BrokerProcess::Terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return -1;
  }
  kill(pid_, SIGTERM);
  // Wait for the exit by reading stdout to EOF (the pipe closes when the process exits).
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      Kill();
      return -1;
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) > 0) {
      char buf[512];
      if (read(stdout_fd_, buf, sizeof buf) <= 0) {
        break;
      }
    }
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  close(stdout_fd_);
  stdout_fd_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string BrokerProcess::StderrLog() const {
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace switchboard::testing
