// process_pool.cpp: build the pool. Each worker is a forked child holding one
// end of a socketpair: the pool writes an input, the worker writes one reply
// (the value, or the message of what the task threw). Keep: every task gets
// exactly one outcome; a worker's death is end-of-file on its socket, which
// fails its task (WorkerDied) and gets it replaced. Wait with poll(), never block.
#include "process_pool.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <system_error>
#include <thread>
#include <utility>

namespace pp {

namespace {

// ------------------------------------------------------ given: the wire format

/// A worker's reply: the value, or failed = 1 and `length` bytes of message.
struct ReplyHeader {
  std::int64_t value = 0;
  std::uint32_t failed = 0;
  std::uint32_t length = 0;
};

/// Writes all `size` bytes to a socket; false if the peer is gone. MSG_NOSIGNAL:
/// writing to a dead worker's socket must be an error, not a SIGPIPE that
/// kills the pool's process.
bool write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

/// Reads exactly `size` bytes; false at end-of-file (or an error) before that.
bool read_exact(int fd, void* data, std::size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

/// Waits until `deadline` for the child to exit, then kills it (SIGKILL);
/// reaps it either way. Returns its wait status.
int reap_within(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  int status = 0;
  pid_t r = 0;
  // There is no waitpid with a timeout: poll, sleeping between tries.
  while ((r = ::waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (r == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  return status;
}

/// "signal 6 (Aborted)" or "exit code 3": how a child ended.
std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    return "signal " + std::to_string(WTERMSIG(status)) + " (" + ::strsignal(WTERMSIG(status)) + ")";
  }
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  return "status " + std::to_string(status);
}

// ------------------------------------------------------------ the worker side

/// The child's whole life: read an input, run fn, write the reply, until the
/// pool closes its end. It must never return into the parent's code: _exit.
[[noreturn]] void worker_main([[maybe_unused]] int fd, [[maybe_unused]] const TaskFn& fn) {
  // TODO: worker_main: loop: read_exact an int64 input (false: _exit(0));
  // run fn(input) in try/catch; write a ReplyHeader (value, or failed = 1 and
  // the message's length) and then the message bytes with write_all.
  (void)read_exact;
  (void)write_all;
  ::_exit(1);
}

}  // namespace

ProcessPool::ProcessPool(std::size_t workers, TaskFn fn) : fn_(std::move(fn)), size_(workers) {
  // TODO: ProcessPool::ProcessPool: reject 0 workers (std::invalid_argument);
  // make `workers` slots and start_worker() each (if one throws, terminate()
  // the ones started, then rethrow).
  throw std::logic_error("TODO: ProcessPool::ProcessPool");
}

ProcessPool::~ProcessPool() {
  // TODO: ProcessPool::~ProcessPool: terminate(). (Empty in the stub: the
  // stub's constructor throws first anyway.)
}

void ProcessPool::start_worker([[maybe_unused]] Worker& slot) {
  // TODO: ProcessPool::start_worker: close the slot's old fd; socketpair();
  // fork(). Child: close the pool's end and every other worker's fd, then
  // worker_main(). Parent: close the child's end; store pid and fd.
  (void)worker_main;
  throw std::logic_error("TODO: ProcessPool::start_worker");
}

Ticket ProcessPool::submit([[maybe_unused]] std::int64_t input) {
  // TODO: ProcessPool::submit: PoolClosed after close(); else a new ticket,
  // a pending outcome for it, and (ticket, input) at the back of the queue.
  throw std::logic_error("TODO: ProcessPool::submit");
}

bool ProcessPool::pump([[maybe_unused]] Clock::time_point deadline) {
  // TODO: ProcessPool::pump: give queued tasks to idle workers (write_all the
  // input); poll() the busy workers' fds until the deadline; collect() each
  // that is readable. Return false when the deadline passed.
  throw std::logic_error("TODO: ProcessPool::pump");
}

void ProcessPool::collect([[maybe_unused]] Worker& worker) {
  // TODO: ProcessPool::collect: read a ReplyHeader (and the message): the
  // task's outcome, the worker idle again. End-of-file instead: the worker
  // died: reap_within() it, fail the task (died, with describe_status()),
  // start_worker() in its slot.
  (void)describe_status;
  (void)reap_within;
  throw std::logic_error("TODO: ProcessPool::collect");
}

std::int64_t ProcessPool::get([[maybe_unused]] Ticket ticket, [[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO: ProcessPool::get: unknown ticket: std::invalid_argument; pump()
  // until its outcome is done (WaitTimeout when pump says the time is up,
  // leaving the ticket for a later get); take the outcome out, failed or
  // not; return the value or throw WorkerDied / TaskFailed.
  throw std::logic_error("TODO: ProcessPool::get");
}

std::vector<std::int64_t> ProcessPool::map([[maybe_unused]] const std::vector<std::int64_t>& inputs,
                                           [[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO: ProcessPool::map: submit every input, then get() the tickets in
  // input order (sharing one deadline); keep the first failure, take every
  // outcome anyway, then rethrow it.
  throw std::logic_error("TODO: ProcessPool::map");
}

void ProcessPool::close() {
  // TODO: ProcessPool::close: no more submit().
  throw std::logic_error("TODO: ProcessPool::close");
}

bool ProcessPool::join([[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO: ProcessPool::join: std::logic_error unless closed; pump() until no
  // task is queued or running (at the deadline: terminate(), return false);
  // close every worker's fd (its stop signal) and reap_within() each.
  throw std::logic_error("TODO: ProcessPool::join");
}

void ProcessPool::terminate() {
  // TODO: ProcessPool::terminate: close each fd, SIGKILL and waitpid each
  // worker, forget them all.
}

std::vector<pid_t> ProcessPool::worker_pids() const {
  // TODO: ProcessPool::worker_pids: the pid of each current worker.
  throw std::logic_error("TODO: ProcessPool::worker_pids");
}

}  // namespace pp
