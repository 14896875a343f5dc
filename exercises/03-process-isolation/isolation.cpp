// isolation.cpp: fork one child per job, each with a pipe back to the parent.
// The child runs the job, writes the answer into its pipe and ends with
// _exit; the parent reads every pipe to EOF, then reaps the child (waitpid).
// Memory is not shared: the answer can only come back through the pipe.
// Given: Fd (closes on destruction). Yours: the four TODOs.
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

[[maybe_unused]] Worker start_worker([[maybe_unused]] const Job& job) {
  // TODO: start_worker: pipe(), fork(). In the child: close the read end,
  // run job() (catch exceptions: send what() and use exit code 1), write the
  // whole answer (write() may write less than asked), then _exit(code):
  // never return. In the parent: close the write end, return {pid, read end}.
  throw std::logic_error("TODO: start_worker");
}

[[maybe_unused]] std::string finish_worker([[maybe_unused]] Worker& worker, [[maybe_unused]] std::string& failure) {
  // TODO: finish_worker: read() the pipe until it returns 0 (EOF), then
  // waitpid(worker.pid, &status, 0). Exit code 0: return the text. Else set
  // `failure` to say why (the job's message, the exit code or the signal).
  throw std::logic_error("TODO: finish_worker");
}

}  // namespace

std::string run_in_child([[maybe_unused]] const Job& job) {
  // TODO: run_in_child: one worker, or simply run_in_children({job}).
  throw std::logic_error("TODO: run_in_child");
}

std::vector<std::string> run_in_children([[maybe_unused]] const std::vector<Job>& jobs) {
  // TODO: run_in_children: start every worker first (so they run at the
  // same time), then finish each in order; throw WorkerFailed for the first
  // failure only after every child has been reaped.
  throw std::logic_error("TODO: run_in_children");
}

}  // namespace isolation
