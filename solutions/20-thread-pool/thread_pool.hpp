// thread_pool.hpp: a fixed pool of worker threads that runs submitted tasks
// and hands back their results as std::future (Python's ThreadPoolExecutor).
// Invariant: every accepted task ends with its future ready: a value, the
// exception the task threw, or TaskCancelled; nothing is accepted after
// shutdown. Idle workers block on a condition variable; they never poll.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

/// Thrown by submit() and map() once shutdown() has begun (Python: RuntimeError).
struct PoolShutDown : std::runtime_error {
  PoolShutDown() : std::runtime_error("ThreadPool: cannot submit after shutdown") {}
};

/// Stored in the future of a task that shutdown(..., cancel_pending = true)
/// removed from the queue before it started (Python: CancelledError).
struct TaskCancelled : std::runtime_error {
  TaskCancelled() : std::runtime_error("ThreadPool: task cancelled by shutdown") {}
};

/// A fixed number of worker threads taking tasks from one FIFO queue.
/// Thread safety: submit(), map(), shutdown() and size() are safe from any
/// thread, including from inside a task, except shutdown(wait = true), which a
/// task must not call (a worker cannot join itself). The destructor is
/// shutdown(wait = true): it runs the queued tasks, then joins the workers.
class ThreadPool {
 public:
  /// Starts `threads` workers at once; throws std::invalid_argument for 0.
  explicit ThreadPool(std::size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /// Queues f() to run on some worker; the future gets its result or the
  /// exception it threw. Throws PoolShutDown after shutdown().
  template <class F>
  auto submit(F&& f) -> std::future<std::invoke_result_t<std::decay_t<F>&>> {
    // The template part: wrap the callable, whatever its type, into a Job the
    // non-template .cpp can queue. The future is taken before the job is
    // handed over, because a worker may run (and destroy) the job at once.
    auto job = std::make_unique<Task<std::decay_t<F>>>(std::forward<F>(f));
    auto result = job->get_future();
    enqueue(std::move(job));
    return result;
  }

  /// Queues f() to run on some worker, with no future: fire and forget (asio's
  /// post). What f returns is discarded; if it throws, the exception is
  /// dropped and the worker goes on. Throws PoolShutDown after shutdown().
  template <class F>
  void post(F&& f) {
    // Why a second way to submit: a future costs a shared state (one more
    // heap allocation, plus atomics to set and read it) per task. A caller
    // that does not need the result, or reports it some other way, skips it.
    enqueue(std::make_unique<Posted<std::decay_t<F>>>(std::forward<F>(f)));
  }

  /// f(x) for every x, run on the pool; the results in input order. If calls
  /// threw, rethrows the exception of the first such input (in input order).
  template <class F, class T>
  auto map(F f, const std::vector<T>& inputs) -> std::vector<std::invoke_result_t<F&, const T&>> {
    // Submit everything first, so the calls run in parallel; then collect in
    // input order. future::get() waits for that one result and rethrows its
    // exception, so the first failure in input order is the one that escapes.
    // Each job owns a copy of f and of its input, so returning early (by
    // rethrowing) leaves nothing dangling for the jobs still queued.
    std::vector<std::future<std::invoke_result_t<F&, const T&>>> futures;
    futures.reserve(inputs.size());
    for (const T& x : inputs) futures.push_back(submit([f, x]() mutable { return f(std::as_const(x)); }));
    std::vector<std::invoke_result_t<F&, const T&>> results;
    results.reserve(inputs.size());
    for (auto& future : futures) results.push_back(future.get());
    return results;
  }

  /// Stops accepting tasks and wakes every worker. Queued tasks still run,
  /// unless cancel_pending: then they are dropped and their futures get
  /// TaskCancelled (tasks already running finish). With wait, returns once
  /// every worker has finished and been joined. Safe to call more than once.
  void shutdown(bool wait = true, bool cancel_pending = false);

  /// The number of worker threads.
  std::size_t size() const;

 private:
  /// A queued task with its result type erased. Move-only, like the callable
  /// it may hold (a lambda owning a unique_ptr, say).
  class Job {
   public:
    virtual ~Job() = default;
    /// Calls the task and stores its result in the future. Whatever the task
    /// throws escapes from here: the caller must pass it to fail().
    virtual void invoke() = 0;
    /// Stores `error` in the future instead of a result.
    virtual void fail(std::exception_ptr error) = 0;
  };

  template <class F>
  class Task final : public Job {
   public:
    using Result = std::invoke_result_t<F&>;
    explicit Task(F f) : fn_(std::move(f)) {}
    std::future<Result> get_future() { return promise_.get_future(); }
    void invoke() override {
      if constexpr (std::is_void_v<Result>) {
        std::invoke(fn_);
        promise_.set_value();
      } else {
        promise_.set_value(std::invoke(fn_));
      }
    }
    void fail(std::exception_ptr error) override { promise_.set_exception(std::move(error)); }

   private:
    F fn_;
    std::promise<Result> promise_;
  };

  /// A posted task: no promise, so nothing to fail() into. A cancelled or
  /// throwing posted task just ends; nobody is waiting for it.
  template <class F>
  class Posted final : public Job {
   public:
    explicit Posted(F f) : fn_(std::move(f)) {}
    void invoke() override { std::invoke(fn_); }
    void fail(std::exception_ptr) override {}

   private:
    F fn_;
  };

  /// Queues `job` and wakes one worker; throws PoolShutDown after shutdown().
  void enqueue(std::unique_ptr<Job> job);
  /// What each worker thread runs until shutdown leaves it nothing to do.
  void worker_loop();

  std::mutex mutex_;                               // guards queue_ and shut_down_
  std::condition_variable work_or_shutdown_cv_;    // !queue_.empty() || shut_down_
  std::deque<std::unique_ptr<Job>> queue_;         // FIFO of accepted, not started tasks
  bool shut_down_ = false;                         // set once by shutdown(), never cleared
  std::size_t num_idle_workers_ = 0;               // workers asleep in wait(); guarded by mutex_
  std::mutex join_mutex_;                          // one joiner at a time
  std::vector<std::thread> workers_;               // written only by the constructor
};
