// process.cpp: run a child process and collect what it writes.
// Start it in a process group of its own (posix_spawnp with
// POSIX_SPAWN_SETPGROUP), feed stdin and read stdout AND stderr together with
// poll(), reap it with waitpid, and on timeout kill(-pgid, SIGKILL) the group.
// Given: Fd, make_pipe and SigpipeBlocked (plumbing). Yours: the three TODOs.
#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn, maybe_unused]] void throw_errno(int error, const char* what) {
  throw std::system_error(error, std::generic_category(), what);
}

/// A file descriptor closed by its destructor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      close();
      fd_ = other.fd_;
      other.fd_ = -1;
    }
    return *this;
  }
  ~Fd() { close(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read, write;
};

/// A pipe whose ends close on exec (O_CLOEXEC): a child started by another
/// thread must not inherit them. posix_spawn's dup2 clears the flag on the
/// copies that become the child's 0, 1 and 2.
[[maybe_unused]] Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  return {Fd(fds[0]), Fd(fds[1])};
}

/// While one of these lives, SIGPIPE is blocked in this thread, so writing
/// to a pipe whose reader has gone fails with EPIPE instead of killing the
/// caller; a SIGPIPE left pending by those writes is consumed at the end.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlocked() {
    if (!sigismember(&old_, SIGPIPE)) {
      const timespec zero{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t pipe_, old_;
};

struct Child {
  pid_t pid;
  Fd in;   // our end of its stdin
  Fd out;  // our end of its stdout
  Fd err;  // our end of its stderr
};

[[maybe_unused]] Child spawn([[maybe_unused]] const std::vector<std::string>& argv) {
  // TODO: spawn: make three pipes; posix_spawn_file_actions_adddup2 their
  // child ends onto 0, 1, 2; posix_spawnattr_setpgroup(&attr, 0) with the
  // POSIX_SPAWN_SETPGROUP flag; posix_spawnp; throw std::system_error if it
  // returns an error. Keep only the parent's ends (the others close here).
  throw std::logic_error("TODO: spawn");
}

[[maybe_unused]] bool communicate([[maybe_unused]] Child& child, [[maybe_unused]] std::string_view input,
                                  [[maybe_unused]] Clock::time_point deadline,
                                  [[maybe_unused]] ProcessResult& result) {
  // TODO: communicate: until stdout and stderr are both at EOF, poll() the
  // open ends (stdin for POLLOUT, the outputs for POLLIN) with the time left;
  // write what fits (O_NONBLOCK), close stdin when all is written or on
  // EPIPE, append what you read; a call that fails with EINTR was only
  // interrupted by a signal: try it again. Return false if the deadline
  // passes first.
  throw std::logic_error("TODO: communicate");
}

}  // namespace

ProcessResult run_process([[maybe_unused]] const std::vector<std::string>& argv,
                          [[maybe_unused]] std::string_view input,
                          [[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO: run_process: spawn, communicate until the deadline, then reap the
  // child with waitpid (still within the deadline: EOF on its outputs does
  // not mean it has exited, so no blocking wait here); past it, SIGKILL the
  // whole group with kill(-pid, ...) and reap anyway. Decode the status with
  // WIFEXITED/WEXITSTATUS and WIFSIGNALED/WTERMSIG.
  throw std::logic_error("TODO: run_process");
}
