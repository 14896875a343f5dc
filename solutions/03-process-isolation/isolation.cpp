// isolation.cpp: fork one child per job, each with a pipe back to the parent.
// The child runs the job, writes its answer into the pipe and ends with
// _exit (never returning into the parent's code). The parent reads each pipe
// to EOF, then reaps that child with waitpid and reads its status: the answer
// counts only if the child exited with 0.
#include "isolation.hpp"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <string_view>
#include <system_error>

namespace isolation {
namespace {

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
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

/// A started worker: its pid and the read end of the pipe it answers through.
struct Worker {
  pid_t pid = -1;
  Fd from_child;
};

/// In the child: writes all of `data`, however many write() calls it takes.
/// Returns false if the parent went away.
bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Forks a child that runs job() and writes its answer (or, if the job
/// threw, the exception's message with exit code 1) into a pipe.
Worker start_worker(const Job& job) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  Fd read_end(fds[0]), write_end(fds[1]);

  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    // The child: a copy of the parent's memory, so job() may read whatever
    // the parent had and change anything: the parent will never see it.
    // Nothing may return from here into the caller (the test framework
    // would go on running in two processes): every path ends in _exit,
    // which also skips atexit handlers and destructors of the parent's
    // objects, which belong to the parent.
    read_end.close();
    int code = 0;
    std::string answer;
    try {
      answer = job();
    } catch (const std::exception& e) {
      answer = e.what();
      code = 1;
    } catch (...) {
      answer = "a non-std exception";
      code = 1;
    }
    if (!write_all(write_end.get(), answer)) code = 2;
    ::_exit(code);  // LCOV_EXCL_LINE: gcov saves the child's counters just before _exit, so this line's count is always lost
  }  // LCOV_EXCL_LINE: the child's branch ends in _exit: nothing at its closing brace ever runs
  // The parent must close its copy of the write end now: EOF on the read
  // end comes only when every write end is closed, the child's included.
  // (Closing it before the next fork also keeps later children from
  // inheriting it.)
  write_end.close();
  return Worker{pid, std::move(read_end)};
}

/// Reads the worker's answer to EOF, then reaps it and judges its status.
/// Returns the answer, or sets `failure` (and returns "").
std::string finish_worker(Worker& worker, std::string& failure) {
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(worker.from_child.get(), buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;  // EOF: the child closed its end, normally by exiting
    }
  }
  worker.from_child.close();

  // Reap: without waitpid the ended child stays a zombie, and its status is
  // the only way to know whether `text` is a whole answer.
  int status = 0;
  while (::waitpid(worker.pid, &status, 0) < 0) {
    if (errno != EINTR) {
      failure = "waitpid failed: " + std::string(::strerror(errno));
      return {};
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return text;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
    failure = "worker's job threw: " + text;
  } else if (WIFEXITED(status)) {
    failure = "worker exited with code " + std::to_string(WEXITSTATUS(status));
  } else {
    // waitpid() without WUNTRACED reports only a child that ended: one that
    // did not exit was killed by a signal (WIFSIGNALED).
    failure = "worker killed by signal " + std::to_string(WTERMSIG(status)) + " (" + ::strsignal(WTERMSIG(status)) + ")";
  }
  return {};
}

}  // namespace

std::string run_in_child(const Job& job) { return run_in_children({job}).front(); }

std::vector<std::string> run_in_children(const std::vector<Job>& jobs) {
  // Start them all first, so they run at the same time; only then collect.
  // Each child writes only its own pipe, so reading the pipes one after
  // another cannot deadlock: a child that fills its pipe just waits its turn.
  std::vector<Worker> workers;
  workers.reserve(jobs.size());
  std::exception_ptr start_error;
  try {
    for (const auto& job : jobs) workers.push_back(start_worker(job));
  } catch (...) {
    start_error = std::current_exception();  // collect the started ones first
  }

  std::vector<std::string> answers;
  std::string first_failure;
  for (auto& worker : workers) {
    std::string failure;
    answers.push_back(finish_worker(worker, failure));
    if (!failure.empty() && first_failure.empty()) first_failure = failure;
  }
  // Every child is reaped by now, whatever happened.
  if (start_error) std::rethrow_exception(start_error);
  if (!first_failure.empty()) throw WorkerFailed(first_failure);
  return answers;
}

}  // namespace isolation
