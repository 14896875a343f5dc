// dispatch.cpp: build the dispatcher and its workers on two
// boost::interprocess::message_queue objects: jobs one way, results the other.
// Keep: every wait has a deadline (timed_send / timed_receive, never a bare
// receive), so a dead worker costs its job and not the dispatcher; both queues
// are removed by RAII removers whatever happens. Forking and reaping are given.
#include "dispatch.hpp"

#include <boost/interprocess/ipc/message_queue.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

namespace mq {

namespace {

namespace bip = boost::interprocess;
// message_queue's timed calls take an absolute time on the system clock.
using SysClock = std::chrono::system_clock;

// ------------------------------------------------- given: worker processes

/// Forks a child that runs body() and _exits with what it returns (1 if it
/// throws). The child never returns into the caller's code: it must not run
/// the destructors of the parent's objects (such as a QueueRemover).
pid_t fork_worker(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    int code = 1;
    try {
      code = body();
    } catch (...) {
    }
    ::_exit(code);
  }
  return pid;
}

/// Waits until `deadline` for each child to exit, kills (SIGKILL) the ones
/// still running then, and reaps them all. Returns how many did not exit with
/// status 0 on their own.
int reap_workers(const std::vector<pid_t>& pids, SysClock::time_point deadline) {
  int failed = 0;
  for (pid_t pid : pids) {
    int status = 0;
    pid_t r = 0;
    // There is no waitpid with a timeout: poll, sleeping between tries.
    while ((r = ::waitpid(pid, &status, WNOHANG)) == 0 && SysClock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (r == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ++failed;
    } else if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      ++failed;
    }
  }
  return failed;
}

/// Reaps the workers when it goes out of scope, so an exception between the
/// fork and the end of dispatch() leaves no child behind.
class Workers {
 public:
  explicit Workers(std::chrono::milliseconds patience) : patience_(patience) {}
  ~Workers() { reap(); }
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;
  void add(pid_t pid) { pids_.push_back(pid); }
  std::size_t size() const { return pids_.size(); }
  /// Reaps every worker (see reap_workers); returns how many failed.
  int reap() {
    const int failed = reap_workers(pids_, SysClock::now() + patience_);
    pids_.clear();
    return failed;
  }

 private:
  std::chrono::milliseconds patience_;
  std::vector<pid_t> pids_;
};

// ----------------------------------------------------------------- the queues

/// Removes a message queue's name when it goes out of scope: the queue lives
/// in /dev/shm until someone removes it, even after every process exited.
class QueueRemover {
 public:
  explicit QueueRemover(std::string name) : name_(std::move(name)) {}
  ~QueueRemover() {
    // TODO: QueueRemover::~QueueRemover: remove the queue's name
    // (bip::message_queue::remove, which returns false rather than throw).
  }
  QueueRemover(const QueueRemover&) = delete;
  QueueRemover& operator=(const QueueRemover&) = delete;

 private:
  [[maybe_unused]] std::string name_;
};

}  // namespace

int run_worker([[maybe_unused]] const std::string& jobs_queue, [[maybe_unused]] const std::string& results_queue,
               [[maybe_unused]] const WorkFn& fn, [[maybe_unused]] std::chrono::milliseconds idle_timeout) {
  // TODO: run_worker: open both queues by name (open_only); loop: timed_receive
  // a Job with a deadline of now + idle_timeout (SysClock), taken anew
  // before each receive (idle means since the last message), return the count
  // of jobs done on a timeout or a stop message (id == kStopId); else
  // timed_send Result{id, fn(input), ::getpid()} and count it.
  throw std::logic_error("TODO: run_worker");
}

Report dispatch([[maybe_unused]] const std::vector<std::int64_t>& inputs, [[maybe_unused]] const WorkFn& fn,
                [[maybe_unused]] const Options& options) {
  // TODO: dispatch: create both queues (create_only; results sized for every
  // job) each followed by its QueueRemover; fork options.workers workers with
  // fork_worker() into a Workers; timed_send every job; timed_receive results
  // until each job answered or `patience` passes with none (the rest are
  // missing); one stop message per worker; report.workers_failed = reap().
  (void)fork_worker;
  throw std::logic_error("TODO: dispatch");
}

}  // namespace mq
