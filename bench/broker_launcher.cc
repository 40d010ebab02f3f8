#include "broker_launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace switchboard::bench {
namespace {

std::string ExitText(int status) {
  if (WIFEXITED(status)) {
    return "exited with status " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return "stopped (status " + std::to_string(status) + ")";
}

// The value of "key=" in the ready line, up to the next space.
std::string Field(const std::string& line, const std::string& key) {
  const size_t at = line.find(key + "=");
  if (at == std::string::npos) {
    return "";
  }
  const size_t start = at + key.size() + 1;
  return line.substr(start, line.find_first_of(" \n", start) - start);
}

}  // namespace

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return -1;
  }
  std::istringstream fields(stat.substr(paren + 2));
  std::string skip;
  // After the command: state(3) ... utime is field 14, stime field 15 (1-based).
  for (int i = 3; i < 14; ++i) {
    fields >> skip;
  }
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  if (!(fields >> utime >> stime)) {
    return -1;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

Result<std::unique_ptr<BrokerLauncher>> BrokerLauncher::Start(const Settings& s) {
  std::unique_ptr<BrokerLauncher> b(new BrokerLauncher());
  char pattern[] = "/tmp/switchboard-bench-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    return Status(Code::kInternal, "cannot make a temporary directory in /tmp");
  }
  b->temp_dir_ = pattern;
  b->keep_ = s.keep_data;
  b->data_dir_ = s.data_dir.empty() ? b->temp_dir_ + "/data" : s.data_dir;
  b->stderr_path_ = b->temp_dir_ + "/broker.stderr.log";

  std::vector<std::string> args = {s.broker_path,
                                   "--bind",
                                   s.bind,
                                   "--data-dir",
                                   b->data_dir_,
                                   "--metrics-bind",
                                   "",
                                   "--durability",
                                   s.durability,
                                   "--heartbeat-ms",
                                   std::to_string(s.heartbeat_ms),
                                   "--window",
                                   std::to_string(s.window)};
  if (s.max_queue_size > 0) {
    args.insert(args.end(), {"--max-queue-size", std::to_string(s.max_queue_size)});
  }
  if (s.offer_timeout_ms > 0) {
    args.insert(args.end(), {"--offer-timeout-ms", std::to_string(s.offer_timeout_ms)});
  }
  args.insert(args.end(), s.broker_args.begin(), s.broker_args.end());

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return Status(Code::kInternal, "pipe failed");
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(out[0]);
    close(out[1]);
    return Status(Code::kInternal, "fork failed");
  }
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    const int err = open(b->stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (err >= 0) {
      dup2(err, STDERR_FILENO);
    }
    std::vector<char*> argv;
    for (std::string& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    std::fprintf(stderr, "cannot run %s\n", argv[0]);
    _exit(127);
  }
  close(out[1]);
  b->pid_ = pid;
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (seen.find("ready:") == std::string::npos ||
         seen.find('\n', seen.find("ready:")) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      close(out[0]);
      const std::string tail = b->StderrTail();
      b->Stop(5);
      return Status(Code::kInternal,
                    "the broker was not ready within 30 s; stdout: " + seen + " stderr: " + tail);
    }
    pollfd p{out[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      continue;
    }
    char buf[512];
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) {
      close(out[0]);
      int status = 0;
      waitpid(pid, &status, 0);
      b->pid_ = -1;
      const std::string tail = b->StderrTail();
      b->Stop();
      return Status(Code::kInternal, "the broker (" + s.broker_path + ") " + ExitText(status) +
                                         " before it was ready: " + tail);
    }
    seen.append(buf, static_cast<size_t>(n));
  }
  b->stdout_fd_ = out[0];  // kept open until Stop, so the broker never writes to a closed pipe
  const std::string line = seen.substr(seen.rfind('\n', seen.find("ready:")) + 1);
  b->endpoint_ = Field(line, "bind");
  std::istringstream words(line);
  std::string program;
  words >> program >> b->version_;
  if (b->endpoint_.empty()) {
    b->Stop();
    return Status(Code::kInternal, "cannot read the endpoint from the broker's line: " + line);
  }
  return b;
}

BrokerLauncher::~BrokerLauncher() { Stop(); }

std::string BrokerLauncher::StderrTail() const {
  std::ifstream in(stderr_path_);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.size() > 2000 ? "..." + all.substr(all.size() - 2000) : all;
}

std::string BrokerLauncher::CheckAlive() {
  if (pid_ <= 0) {
    return "the broker is not running";
  }
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) {
    return "";
  }
  pid_ = -1;
  return "the broker " + ExitText(status) + ": " + StderrTail();
}

int BrokerLauncher::Stop(double timeout_s) {
  int result = -1;
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
    int status = 0;
    for (;;) {
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || r < 0) {
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      usleep(10000);
    }
    result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
  }
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
  // The temporary directory holds the stderr log, and the data unless --data-dir named
  // another place: keep it only when it holds data the caller asked to keep.
  const bool data_inside = data_dir_.rfind(temp_dir_ + "/", 0) == 0;
  if (!temp_dir_.empty() && !(keep_ && data_inside)) {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir_, ec);
    temp_dir_.clear();
  }
  return result;
}

double BrokerLauncher::CpuSeconds() const { return pid_ > 0 ? ProcessCpuSeconds(pid_) : -1; }

int64_t BrokerLauncher::PeakRssKb() const {
  if (pid_ <= 0) {
    return -1;
  }
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::stoll(line.substr(6));
    }
  }
  return -1;
}

}  // namespace switchboard::bench
