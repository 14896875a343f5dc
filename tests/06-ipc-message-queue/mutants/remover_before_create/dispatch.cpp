// dispatch.cpp: a dispatcher and its workers, talking through two
// boost::interprocess::message_queue objects: jobs go one way, results the
// other. Every wait has a deadline (timed_send, timed_receive), so a worker
// that dies costs its job, never the dispatcher's progress; the queues are
// removed by RAII removers whatever happens.
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
/// Made only after the queue was created, so it never removes a queue that
/// someone else created.
class QueueRemover {
 public:
  explicit QueueRemover(std::string name) : name_(std::move(name)) {}
  // remove() returns false instead of throwing, as a destructor needs.
  ~QueueRemover() { bip::message_queue::remove(name_.c_str()); }
  QueueRemover(const QueueRemover&) = delete;
  QueueRemover& operator=(const QueueRemover&) = delete;

 private:
  std::string name_;
};

}  // namespace

int run_worker(const std::string& jobs_queue, const std::string& results_queue, const WorkFn& fn,
               std::chrono::milliseconds idle_timeout) {
  // Opened by name, as any process would; the dispatcher created them.
  bip::message_queue jobs(bip::open_only, jobs_queue.c_str());
  bip::message_queue results(bip::open_only, results_queue.c_str());
  int done = 0;
  for (;;) {
    Job job{};
    std::size_t size = 0;
    unsigned priority = 0;
    // A deadline even here: if the dispatcher died, no stop message will
    // ever come, and a worker blocked in receive() would live forever.
    if (!jobs.timed_receive(&job, sizeof job, size, priority, SysClock::now() + idle_timeout)) return done;
    if (size != sizeof job || job.id == kStopId) return done;
    const Result result{job.id, fn(job.input), ::getpid()};
    if (!results.timed_send(&result, sizeof result, 0, SysClock::now() + idle_timeout)) return done;
    ++done;
  }
}

Report dispatch(const std::vector<std::int64_t>& inputs, const WorkFn& fn, const Options& options) {
  if (options.workers <= 0) throw std::invalid_argument("dispatch: needs at least one worker");
  if (options.jobs_capacity == 0) throw std::invalid_argument("dispatch: the jobs queue needs room");

  // create_only: a queue that already exists is someone else's, so this
  // throws rather than use (or later remove) it. Each remover comes right
  // after its queue, so whatever throws later, both names are removed.
  bip::message_queue jobs(bip::create_only, options.jobs_queue.c_str(), options.jobs_capacity, sizeof(Job));
  QueueRemover remove_jobs(options.jobs_queue);
  // Room for every result: a worker never waits for the dispatcher, which is
  // busy sending while workers answer. (With both queues small, a dispatcher
  // blocked on a full jobs queue and workers blocked on a full results queue
  // would wait for each other.)
  QueueRemover remove_results(options.results_queue);  // MUTANT: owns the name before creating it
  bip::message_queue results(bip::create_only, options.results_queue.c_str(), std::max<std::size_t>(inputs.size(), 1),
                             sizeof(Result));

  // A worker waits for jobs longer than the dispatcher waits for anything,
  // so it does not leave while the dispatcher still has work for it.
  const auto idle_timeout = 4 * options.patience;
  Workers workers(options.patience);
  for (int i = 0; i < options.workers; ++i) {
    workers.add(fork_worker([&] {
      run_worker(options.jobs_queue, options.results_queue, fn, idle_timeout);
      return 0;
    }));
  }

  // Send every job. timed_send waits while the queue is full (the workers
  // take jobs out); it gives up only if no worker took one for `patience`.
  std::size_t sent = 0;
  for (; sent < inputs.size(); ++sent) {
    const Job job{static_cast<std::int64_t>(sent), inputs[sent]};
    if (!jobs.timed_send(&job, sizeof job, 0, SysClock::now() + options.patience)) break;
  }

  // Collect. Never receive() without a deadline: a worker killed with a job
  // in hand never answers it, and the dispatcher would wait forever.
  Report report;
  std::vector<bool> answered(inputs.size(), false);
  std::size_t distinct = 0;
  while (distinct < sent) {
    Result result{};
    std::size_t size = 0;
    unsigned priority = 0;
    if (!results.timed_receive(&result, sizeof result, size, priority, SysClock::now() + options.patience)) break;
    if (size != sizeof result || result.id < 0 || static_cast<std::size_t>(result.id) >= sent) continue;
    report.results.push_back(result);
    const auto id = static_cast<std::size_t>(result.id);
    if (!answered[id]) {  // a duplicate is reported, but counts once
      answered[id] = true;
      ++distinct;
    }
  }
  for (std::size_t id = 0; id < inputs.size(); ++id) {
    if (!answered[id]) report.missing.push_back(static_cast<std::int64_t>(id));
  }

  // Shut down: one stop message per worker (each worker takes one and
  // returns). try_send: a worker that died leaves jobs in the queue, and
  // then reaping (which kills what is left after `patience`) ends it anyway.
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const Job stop{kStopId, 0};
    (void)jobs.try_send(&stop, sizeof stop, 0);
  }
  report.workers_failed = workers.reap();
  return report;
}

}  // namespace mq
