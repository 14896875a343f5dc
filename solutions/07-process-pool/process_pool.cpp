// process_pool.cpp: the pool. Each worker is a forked child with one end of a
// socketpair; the pool writes an input, the worker writes back one reply: the
// value, or the message of what the task threw. A worker that dies shows up as
// end-of-file on its socket, so the pool knows exactly which task it took
// down: that task fails with WorkerDied, and a new worker takes its place.
// poll() waits on every socket at once; nothing runs in the background.
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
  // waitpid without WUNTRACED reports only ended children: signaled or exited.
  return "exit code " + std::to_string(WEXITSTATUS(status));
}

// ------------------------------------------------------------ the worker side

/// The child's whole life: read an input, run fn, write the reply, until the
/// pool closes its end. It never returns into the parent's code (no
/// destructor of the parent's objects may run here): it leaves with _exit.
[[noreturn]] void worker_main(int fd, const TaskFn& fn) {
  for (;;) {
    std::int64_t input = 0;
    if (!read_exact(fd, &input, sizeof input)) ::_exit(0);  // the pool closed: done
    ReplyHeader reply;
    std::string message;
    // An exception cannot cross a process boundary: catch it here and send
    // its message as bytes. Uncaught, it would kill the worker (terminate),
    // and the caller would learn only that the worker died, not why.
    try {
      reply.value = fn(input);
    } catch (const std::exception& e) {
      reply.failed = 1;
      message = e.what();
    } catch (...) {
      reply.failed = 1;
      message = "a non-std exception";
    }
    reply.length = static_cast<std::uint32_t>(message.size());
    if (!write_all(fd, &reply, sizeof reply) || !write_all(fd, message.data(), message.size())) ::_exit(0);
  }
}

}  // namespace

ProcessPool::ProcessPool(std::size_t workers, TaskFn fn) : fn_(std::move(fn)), size_(workers) {
  if (workers == 0) throw std::invalid_argument("ProcessPool: needs at least one worker");
  workers_.resize(workers);
  // If a fork fails half-way, the destructor will not run for this
  // half-built object: stop the workers already started, then rethrow.
  try {
    for (auto& slot : workers_) start_worker(slot);
  } catch (...) {
    terminate();
    throw;
  }
}

ProcessPool::~ProcessPool() { terminate(); }

void ProcessPool::start_worker(Worker& slot) {
  if (slot.fd >= 0) ::close(slot.fd);
  slot = Worker{};
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, ends) != 0) throw std::system_error(errno, std::generic_category(), "socketpair");
  const pid_t pid = ::fork();
  // LCOV_EXCL_START: fork fails only out of memory or processes (RLIMIT_NPROC does not bind the root the tests may run as)
  if (pid < 0) {
    const int error = errno;
    ::close(ends[0]);
    ::close(ends[1]);
    throw std::system_error(error, std::generic_category(), "fork");
  }
  // LCOV_EXCL_STOP
  if (pid == 0) {
    // The child inherited every descriptor of the parent, among them the
    // pool's ends of its siblings' sockets. Close them: while a sibling
    // holds a copy, that worker never sees end-of-file when the pool closes.
    ::close(ends[0]);
    for (const auto& other : workers_) {
      if (other.fd >= 0) ::close(other.fd);
    }
    worker_main(ends[1], fn_);
  }
  // The parent keeps its end only: with the child's end closed here, the
  // child's death is end-of-file on ours.
  ::close(ends[1]);
  slot.pid = pid;
  slot.fd = ends[0];
}

Ticket ProcessPool::submit(std::int64_t input) {
  if (closed_) throw PoolClosed();
  const Ticket ticket = next_ticket_++;
  outcomes_[ticket];  // pending
  queue_.emplace_back(ticket, input);
  return ticket;
}

bool ProcessPool::pump(Clock::time_point deadline) {
  // Hand queued tasks to idle workers. If the write fails the worker is
  // dead: poll() reports that below, and collect() fails this task.
  for (auto& worker : workers_) {
    if (queue_.empty()) break;
    if (worker.task || worker.fd < 0) continue;
    const auto [ticket, input] = queue_.front();
    queue_.pop_front();
    worker.task = ticket;
    (void)write_all(worker.fd, &input, sizeof input);
  }

  // Wait on every worker's socket at once: a reply is POLLIN, a death is
  // POLLHUP (end-of-file), whichever worker it comes from.
  std::vector<pollfd> fds;
  std::vector<Worker*> owners;
  for (auto& worker : workers_) {
    if (worker.fd < 0 || !worker.task) continue;
    fds.push_back(pollfd{worker.fd, POLLIN, 0});
    owners.push_back(&worker);
  }
  if (fds.empty()) return Clock::now() < deadline;  // nothing in flight
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left) + 1);
  if (ready < 0 && errno == EINTR) return true;
  if (ready < 0) throw std::system_error(errno, std::generic_category(), "poll");
  if (ready == 0) return Clock::now() < deadline;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].revents != 0) collect(*owners[i]);
  }
  return true;
}

void ProcessPool::collect(Worker& worker) {
  const Ticket ticket = *worker.task;
  Outcome& outcome = outcomes_[ticket];
  ReplyHeader reply;
  if (read_exact(worker.fd, &reply, sizeof reply)) {
    std::string message(reply.length, '\0');
    if (reply.failed == 0 || read_exact(worker.fd, message.data(), message.size())) {
      outcome.done = true;
      outcome.ok = reply.failed == 0;
      outcome.value = reply.value;
      outcome.error = std::move(message);
      worker.task.reset();
      return;
    }
  }
  // End-of-file before a whole reply: the worker died running this task.
  // Reap it (no zombie), fail the task with how it died, and replace it so
  // the pool keeps its size and later tasks still run.
  const pid_t dead = worker.pid;
  const int status = reap_within(dead, Clock::now() + std::chrono::seconds(2));
  outcome.done = true;
  outcome.died = true;
  outcome.error = "worker " + std::to_string(dead) + " died running the task: " + describe_status(status);
  start_worker(worker);
}

std::int64_t ProcessPool::get(Ticket ticket, std::chrono::milliseconds timeout) {
  auto it = outcomes_.find(ticket);
  if (it == outcomes_.end()) throw std::invalid_argument("ProcessPool::get: unknown or already taken ticket");
  const auto deadline = Clock::now() + timeout;
  // std::map nodes stay put while other tickets are added or resolved.
  while (!it->second.done) {
    if (!pump(deadline)) throw WaitTimeout();
  }
  Outcome outcome = std::move(it->second);
  outcomes_.erase(it);
  if (outcome.ok) return outcome.value;
  if (outcome.died) throw WorkerDied(outcome.error);
  throw TaskFailed(outcome.error);
}

std::vector<std::int64_t> ProcessPool::map(const std::vector<std::int64_t>& inputs, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::vector<Ticket> tickets;
  for (std::int64_t x : inputs) tickets.push_back(submit(x));
  // Taking outcomes in input order gives input order, whatever order the
  // workers finish in. Every outcome is taken, even after a failure, so no
  // ticket of this call is left behind; the first failure is rethrown.
  std::vector<std::int64_t> results;
  std::exception_ptr first_failure;
  for (Ticket t : tickets) {
    try {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      results.push_back(get(t, std::max(left, std::chrono::milliseconds(0))));
    } catch (...) {
      if (!first_failure) first_failure = std::current_exception();
    }
  }
  if (first_failure) std::rethrow_exception(first_failure);
  return results;
}

void ProcessPool::close() { closed_ = true; }

bool ProcessPool::join(std::chrono::milliseconds timeout) {
  if (!closed_) throw std::logic_error("ProcessPool::join: call close() first");
  const auto deadline = Clock::now() + timeout;
  auto busy = [this] {
    if (!queue_.empty()) return true;
    for (const auto& w : workers_) {
      if (w.task) return true;
    }
    return false;
  };
  while (busy()) {
    if (!pump(deadline)) {
      terminate();
      return false;
    }
  }
  // Closing its socket is the stop signal: the worker reads end-of-file and
  // exits. Then reap each one, so no zombie is left.
  for (auto& w : workers_) {
    ::close(w.fd);
    w.fd = -1;
  }
  bool clean = true;
  for (auto& w : workers_) {
    const int status = reap_within(w.pid, deadline);
    clean = clean && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  workers_.clear();
  return clean;
}

void ProcessPool::terminate() {
  for (auto& w : workers_) {
    if (w.fd >= 0) ::close(w.fd);
    if (w.pid > 0) {
      ::kill(w.pid, SIGKILL);
      ::waitpid(w.pid, nullptr, 0);
    }
  }
  workers_.clear();
}

std::vector<pid_t> ProcessPool::worker_pids() const {
  std::vector<pid_t> pids;
  for (const auto& w : workers_) pids.push_back(w.pid);
  return pids;
}

}  // namespace pp
