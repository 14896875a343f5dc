// process_pool.hpp: a pool of N worker processes, like Python's
// multiprocessing.Pool: submit/get and map run a fixed function in forked
// workers, one socketpair per worker carries inputs out and results back.
// Invariant: every task ends with exactly one outcome (its value, the message
// of what it threw, or "its worker died"); a dead worker is replaced.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/types.h>
#include <vector>

namespace pp {

/// The function every worker runs. It is copied into each worker when the
/// worker is forked (like Python's "fork" start method: the child has the
/// parent's memory, so the function exists there; only inputs and results
/// travel). Inputs and results are plain integers: what crosses a process
/// boundary must be bytes.
using TaskFn = std::function<std::int64_t(std::int64_t)>;

/// Identifies a submitted task.
using Ticket = std::uint64_t;

/// The task threw in its worker; what() is the exception's message.
struct TaskFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// The worker process died (a signal, abort(), exit) while running the task.
struct WorkerDied : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// submit() or map() after close().
struct PoolClosed : std::logic_error {
  PoolClosed() : std::logic_error("ProcessPool: closed, no new tasks") {}
};
/// get() or map() did not see the outcome within its timeout.
struct WaitTimeout : std::runtime_error {
  WaitTimeout() : std::runtime_error("ProcessPool: timed out waiting for a result") {}
};

/// N worker processes that run fn on submitted inputs.
/// Confined to one thread, and that thread should be the process's only one:
/// the pool forks (at construction, and to replace a dead worker). Nothing runs
/// in the background: the pool makes progress inside get(), map() and join().
class ProcessPool {
 public:
  /// Forks `workers` worker processes at once; 0 throws std::invalid_argument.
  ProcessPool(std::size_t workers, TaskFn fn);
  /// Terminates (like Pool.__exit__): kills the workers and reaps them.
  ~ProcessPool();
  ProcessPool(const ProcessPool&) = delete;
  ProcessPool& operator=(const ProcessPool&) = delete;

  /// Queues fn(input) for some worker. Throws PoolClosed after close().
  Ticket submit(std::int64_t input);
  /// Runs the pool until the task's outcome is known, at most `timeout`:
  /// returns fn(input), or throws TaskFailed (with the task's message),
  /// WorkerDied, or WaitTimeout. Each ticket's outcome is taken once; an
  /// unknown or already taken ticket throws std::invalid_argument.
  std::int64_t get(Ticket ticket, std::chrono::milliseconds timeout);
  /// fn(x) for every x, in input order, whatever order they finish in. If
  /// tasks failed, throws the failure of the first such input (in input
  /// order), after every task of this call has finished.
  std::vector<std::int64_t> map(const std::vector<std::int64_t>& inputs, std::chrono::milliseconds timeout);
  /// No more submit() or map(); queued tasks still run.
  void close();
  /// After close(): runs every queued task, then stops the workers and reaps
  /// them. Outcomes not yet taken stay available to get(). Returns false if
  /// that took longer than `timeout` (the workers are then killed).
  bool join(std::chrono::milliseconds timeout);

  /// The number of workers the pool keeps alive.
  std::size_t size() const { return size_; }
  /// The pids of the current workers (after join: none).
  std::vector<pid_t> worker_pids() const;

 private:
  using Clock = std::chrono::steady_clock;

  struct Worker {
    pid_t pid = -1;
    int fd = -1;                 // the pool's end of this worker's socketpair
    std::optional<Ticket> task;  // the task it is running, if any
  };
  struct Outcome {
    bool done = false;
    bool ok = false;
    bool died = false;  // with !ok: the worker died, else the task threw
    std::int64_t value = 0;
    std::string error;
  };

  /// Forks a worker into `slot` (whose old fd, if any, is closed).
  void start_worker(Worker& slot);
  /// One step: hand queued tasks to idle workers, then wait until a reply
  /// or a death arrives or `deadline` passes. Returns false at the deadline.
  bool pump(Clock::time_point deadline);
  /// Reads one reply from a busy worker, or handles its death.
  void collect(Worker& worker);
  /// Closes, kills and reaps every worker.
  void terminate();

  TaskFn fn_;
  std::size_t size_;
  std::vector<Worker> workers_;
  std::deque<std::pair<Ticket, std::int64_t>> queue_;  // submitted, not yet sent to a worker
  std::map<Ticket, Outcome> outcomes_;                 // every ticket not yet taken by get()
  Ticket next_ticket_ = 0;
  bool closed_ = false;
};

}  // namespace pp
