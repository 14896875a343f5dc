// dispatch.hpp: hand jobs to worker processes through a Boost.Interprocess
// message_queue and collect their results through a second one.
// Invariant: every job's result is reported exactly once, or the job is
// reported missing; the dispatcher never waits forever (timed_send,
// timed_receive), reaps every worker, and removes both queues at the end.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace mq {

/// What a worker computes for a job's input. It is given to dispatch() before
/// the workers are forked, so each child has its own copy (like Python's
/// "fork" start method: the function must exist in the child, nothing is
/// sent but the inputs). It may run in several processes at once.
using WorkFn = std::function<std::int64_t(std::int64_t)>;

/// One message on the jobs queue: plain bytes, no pointers (a message is copied
/// into the queue's shared memory and out again in another process).
struct Job {
  std::int64_t id;  // index of the input; kStopId asks the worker to return
  std::int64_t input;
};
inline constexpr std::int64_t kStopId = -1;

/// One message on the results queue.
struct Result {
  std::int64_t id;      // the job's id
  std::int64_t output;  // fn(input)
  pid_t worker;         // the process that computed it
};

/// What dispatch() saw.
struct Report {
  std::vector<Result> results;       // every result received, in arrival order
  std::vector<std::int64_t> missing; // ids of jobs whose result never came, ascending
  int workers_failed = 0;            // workers that did not exit with status 0 on their own
                                     // (killed by a signal, or killed by dispatch at the end)
};

struct Options {
  std::string jobs_queue;     // names for the two queues (dispatch creates and removes them)
  std::string results_queue;
  int workers = 2;            // worker processes to fork
  std::size_t jobs_capacity = 8;  // messages the jobs queue holds
  /// The longest dispatch waits for anything: to send a job (the queue full),
  /// for the next result, for a worker to exit after its stop message.
  std::chrono::milliseconds patience{1000};
};

/// Creates both queues (they must not exist; the results queue holds a result
/// for every job, so a worker never waits for the dispatcher), forks
/// options.workers workers running run_worker(), sends every input as a job,
/// collects results until all arrived or none came for `patience`, sends one
/// stop message per worker, reaps every worker (killing any still running
/// after `patience`) and removes both queues, also when it throws.
/// Call only from a single-threaded process (it forks).
Report dispatch(const std::vector<std::int64_t>& inputs, const WorkFn& fn, const Options& options);

/// A worker's loop (dispatch runs it in each forked child): opens both queues
/// by name; receives jobs with a timeout of idle_timeout, sends
/// {id, fn(input), getpid()} for each; returns the number of jobs done when a
/// stop message arrives or no message arrives within idle_timeout.
int run_worker(const std::string& jobs_queue, const std::string& results_queue, const WorkFn& fn,
               std::chrono::milliseconds idle_timeout);

}  // namespace mq
