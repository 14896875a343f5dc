// process.cpp: start the child with posix_spawnp in a process group of its
// own, feed its stdin and drain its stdout and stderr together with poll()
// (never one pipe at a time: a child blocked writing to a full pipe that
// nobody reads never exits), then reap it with waitpid. On timeout, SIGKILL
// goes to the whole group (kill(-pgid)), so grandchildren die too.
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

[[noreturn]] void throw_errno(int error, const char* what) {
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

/// O_CLOEXEC: a child started by another thread at the same moment must not
/// inherit our ends (it would hold a pipe open and we would never see EOF).
/// posix_spawn's dup2 clears the flag on the copies the child really gets.
Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  return {Fd(fds[0]), Fd(fds[1])};
}

struct Child {
  pid_t pid;
  Fd in;   // our end of its stdin
  Fd out;  // our end of its stdout
  Fd err;  // our end of its stderr
};

/// Starts argv in a new process group (pgid == its pid) with its standard
/// streams on three pipes. posix_spawnp returns only after the exec worked
/// (or reports why it did not), so a missing program is an error here, and
/// glibc reaps the failed child itself.
Child spawn(const std::vector<std::string>& argv) {
  Pipe in = make_pipe(), out = make_pipe(), err = make_pipe();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);

  // A group of its own: one kill(-pid) reaches the child and everything it
  // starts. The child also gets a clean signal state: nothing blocked, and
  // SIGPIPE back to its default even if the caller ignores it.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none, pipe_only;
  sigemptyset(&none);
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &pipe_only);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw_errno(rc, "posix_spawnp");

  // The child has its copies; ours of the child's ends must go, or we would
  // never read EOF (we would hold the write end of its stdout ourselves).
  return Child{pid, std::move(in.write), std::move(out.read), std::move(err.read)};
}

/// Writes to a pipe whose reader has gone raise SIGPIPE, which would kill
/// the caller. While one of these lives, SIGPIPE is blocked in this thread
/// and write() fails with EPIPE instead; a SIGPIPE left pending by our own
/// writes is consumed before the old mask comes back.
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

/// Reads what is there into `sink`; closes `fd` at EOF.
void drain(Fd& fd, std::string& sink) {
  char buffer[65536];
  const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
  if (n > 0) {
    sink.append(buffer, static_cast<std::size_t>(n));
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    fd.close();
  }
}

/// Feeds `input` and collects both outputs at the same time until both
/// reach EOF or the deadline passes. Returns false on the deadline.
bool communicate(Child& child, std::string_view input, Clock::time_point deadline, ProcessResult& result) {
  SigpipeBlocked no_sigpipe;
  std::size_t written = 0;
  if (input.empty()) {
    child.in.close();  // EOF at once: a child reading stdin must not wait for us
  } else {
    // Non-blocking: a write never blocks past what poll said fits, so a
    // child that stops reading cannot stall the reading of its output.
    ::fcntl(child.in.get(), F_SETFL, ::fcntl(child.in.get(), F_GETFL) | O_NONBLOCK);
  }

  while (child.out.open() || child.err.open()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;

    pollfd fds[3];
    nfds_t n = 0;
    Fd* owners[3];
    for (Fd* fd : {&child.in, &child.out, &child.err}) {
      if (!fd->open()) continue;
      fds[n] = pollfd{fd->get(), static_cast<short>(fd == &child.in ? POLLOUT : POLLIN), 0};
      owners[n++] = fd;
    }
    // +1 ms: poll rounds down, and waking just before the deadline would spin.
    const int ready = ::poll(fds, n, static_cast<int>(left.count()) + 1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_errno(errno, "poll");
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      Fd& fd = *owners[i];
      if (&fd == &child.in) {
        const ssize_t w = ::write(fd.get(), input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        // EPIPE: the child closed its stdin (or exited) without reading it
        // all. Not an error: like subprocess.run, drop the rest.
        if ((w < 0 && errno != EINTR && errno != EAGAIN) || written == input.size()) fd.close();
      } else {
        drain(fd, &fd == &child.out ? result.out : result.err);
      }
    }
  }
  child.in.close();  // outputs closed but stdin still open: the child will not read it
  return true;
}

/// waitpid that reaps exactly this child; `status` is its wait status.
/// With WNOHANG, returns false while it is still running.
bool reap(pid_t pid, int& status, int options) {
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, options);
    if (r == pid) return true;
    if (r == 0) return false;
    if (errno != EINTR) throw_errno(errno, "waitpid");
  }
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, std::string_view input,
                          std::chrono::milliseconds timeout) {
  if (argv.empty()) throw std::invalid_argument("run_process: argv is empty");
  const auto deadline = Clock::now() + timeout;

  Child child = spawn(argv);
  ProcessResult result;
  result.pid = child.pid;

  // Both outputs closed usually means the child is exiting; it may still
  // run (it closed them itself), so the wait for its exit keeps the deadline.
  // That last wait polls waitpid every millisecond: a short phase, and
  // waitpid has no timeout of its own.
  int status = 0;
  bool exited = communicate(child, input, deadline, result);
  if (exited) {
    exited = false;
    while (Clock::now() < deadline) {
      if (reap(child.pid, status, WNOHANG)) {
        exited = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  if (!exited) {
    // The deadline: kill the whole group (negative pid), not just the child.
    // Grandchildren would otherwise outlive us, holding our pipes open.
    result.timed_out = true;
    ::kill(child.pid, SIGKILL);  // MUTANT: the child only, not its group
    child.in.close();
    child.out.close();
    child.err.close();
    // Reap it even now: a killed child that nobody waits for stays a zombie,
    // and its status says how it ended (SIGKILL, or an exit just before).
    reap(child.pid, status, 0);
  }

  // A status is either an exit (exit code 0-255) or death by a signal;
  // WEXITSTATUS of a signalled child is meaningless (0 for SIGKILL).
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}
