#include "ops/subprocess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace switchboard::testing {
namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

int DecodeStatus(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

// In the child after fork: redirect and exec; never returns.
[[noreturn]] void Exec(const std::vector<std::string>& argv, int in_fd, int out_fd, int err_fd) {
  if (in_fd >= 0) {
    dup2(in_fd, STDIN_FILENO);
  }
  if (out_fd >= 0) {
    dup2(out_fd, STDOUT_FILENO);
  }
  if (err_fd >= 0) {
    dup2(err_fd, STDERR_FILENO);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  execvp(args[0], args.data());
  const std::string msg = "cannot run " + argv[0] + "\n";
  (void)!write(STDERR_FILENO, msg.data(), msg.size());
  _exit(127);
}

}  // namespace

RunResult RunTool(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                  const std::string& stdin_path) {
  RunResult result;
  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    result.err = "pipe failed";
    return result;
  }
  const int in = open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    result.err = "cannot open " + stdin_path;
    return result;
  }
  const pid_t pid = fork();
  if (pid == 0) {
    Exec(argv, in, out[1], err[1]);
  }
  close(in);
  close(out[1]);
  close(err[1]);
  if (pid < 0) {
    close(out[0]);
    close(err[0]);
    result.err = "fork failed";
    return result;
  }
  const auto deadline = Clock::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    const int left = MillisLeft(deadline);
    if (left == 0) {
      timed_out = true;
      break;
    }
    if (poll(fds, 2, left) <= 0) {
      continue;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      char buf[8192];
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) {
      close(p.fd);
    }
  }
  if (timed_out) {
    kill(pid, SIGKILL);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.status = timed_out ? -1 : DecodeStatus(status);
  return result;
}

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

Child::~Child() { Kill(); }

std::string Child::Start(const std::vector<std::string>& argv, const std::string& stderr_path) {
  if (pid_ > 0) {
    return "already running";
  }
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return "pipe failed";
  }
  const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_ = fork();
  if (pid_ == 0) {
    Exec(argv, in, out[1], err);
  }
  close(out[1]);
  if (err >= 0) {
    close(err);
  }
  if (in >= 0) {
    close(in);
  }
  if (pid_ < 0) {
    close(out[0]);
    return "fork failed";
  }
  stdout_fd_ = out[0];
  out_.clear();
  return "";
}

std::string Child::WaitForLine(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    size_t at = out_.find(needle);
    if (at != std::string::npos) {
      const size_t end = out_.find('\n', at);
      if (end != std::string::npos) {
        const size_t begin = out_.rfind('\n', at);
        return out_.substr(begin == std::string::npos ? 0 : begin + 1,
                           end - (begin == std::string::npos ? 0 : begin + 1));
      }
    }
    const int left = MillisLeft(deadline);
    if (left == 0 || stdout_fd_ < 0) {
      return "";
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) {
      continue;
    }
    char buf[4096];
    const ssize_t n = read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) {
      close(stdout_fd_);
      stdout_fd_ = -1;
      return "";
    }
    out_.append(buf, static_cast<size_t>(n));
  }
}

int Child::Terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) {
    return -1;
  }
  kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  for (;;) {
    // Wait for the exit by reading stdout to EOF (the pipe closes when the process exits),
    // then reap.
    if (stdout_fd_ >= 0) {
      const int left = MillisLeft(deadline);
      if (left == 0) {
        Kill();
        return -1;
      }
      pollfd p{stdout_fd_, POLLIN, 0};
      if (poll(&p, 1, left) > 0) {
        char buf[4096];
        const ssize_t n = read(stdout_fd_, buf, sizeof buf);
        if (n > 0) {
          out_.append(buf, static_cast<size_t>(n));
        } else {
          close(stdout_fd_);
          stdout_fd_ = -1;
        }
      }
      continue;
    }
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return DecodeStatus(status);
  }
}

void Child::Kill() {
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

bool Child::Running() {
  if (pid_ <= 0) {
    return false;
  }
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

}  // namespace switchboard::testing
