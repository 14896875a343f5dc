// work_stealing_pool.hpp: build a fixed pool of workers where a task may spawn
// subtasks and wait for them (fork-join) without deadlocking the pool.
// Invariant to keep: every spawned task runs exactly once, even when nobody joins it.
// Give each worker a deque (a std::mutex each is enough): the owner pushes and pops
// at the back, idle workers steal from the front of the others', and a worker that
// waits in join() runs pending tasks instead of blocking.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

class WorkStealingPool;

/// What a task ended with, shared by the task (which fills it) and its Handle
/// (which reads it). done() turns true once, after the result or the error has
/// been stored: the release store publishes them to whoever sees it true.
class TaskState {
 public:
  bool done() const { return done_.load(std::memory_order_acquire); }

 protected:
  void mark_done() { done_.store(true, std::memory_order_release); }
  std::exception_ptr error_;

 private:
  std::atomic<bool> done_{false};
};

template <class R>
class TaskResult final : public TaskState {
 public:
  /// Runs `fn` and stores what it returned or threw; done() is true afterwards.
  template <class F>
  void run(F& fn) noexcept {
    try {
      if constexpr (std::is_void_v<R>) {
        std::invoke(fn);
      } else {
        value_.emplace(std::invoke(fn));
      }
    } catch (...) {
      error_ = std::current_exception();
    }
    // After the catch block has ended: the worker is done with the exception.
    mark_done();
  }

  /// The result, or the task's exception rethrown. Only once done().
  R take() {
    if (error_) std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<R>) return std::move(*value_);
  }

 private:
  std::optional<std::conditional_t<std::is_void_v<R>, std::monostate, R>> value_;
};

/// The caller's side of a spawned task. Move-only; join() may be called once.
/// Dropping a Handle without joining is allowed: the task still runs, and its
/// result (or exception) is thrown away.
template <class R>
class Handle {
 public:
  Handle() = default;

  /// Waits until the task has finished and returns its result, or rethrows
  /// the exception it threw. On one of the pool's workers, join() runs other
  /// pending tasks while it waits (so nested waits cannot deadlock the pool);
  /// on any other thread it blocks. Throws std::logic_error on a Handle that
  /// holds no task (default-constructed, moved from, or already joined).
  R join();

  /// Whether join() may be called.
  bool valid() const { return state_ != nullptr; }

 private:
  friend class WorkStealingPool;
  Handle(WorkStealingPool* pool, std::shared_ptr<TaskResult<R>> state) : pool_(pool), state_(std::move(state)) {}

  WorkStealingPool* pool_ = nullptr;
  std::shared_ptr<TaskResult<R>> state_;
};

/// A fixed set of worker threads, each with its own deque of tasks.
/// Thread safety: spawn(), size() and Handle::join() are safe from any thread,
/// including from inside a task. The destructor runs every task already
/// spawned (and the ones those spawn), then joins the workers; it must not be
/// called from one of the pool's own tasks.
class WorkStealingPool {
 public:
  /// Starts `workers` threads at once; throws std::invalid_argument for 0.
  explicit WorkStealingPool(std::size_t workers);
  ~WorkStealingPool();
  WorkStealingPool(const WorkStealingPool&) = delete;
  WorkStealingPool& operator=(const WorkStealingPool&) = delete;

  /// Queues f() to run on some worker and returns its Handle. From a worker,
  /// onto that worker's own deque; from any other thread, onto the workers'
  /// deques in turn.
  template <class F>
  auto spawn(F&& f) -> Handle<std::invoke_result_t<std::decay_t<F>&>> {
    // The template part: the callable and its result type are erased into a
    // Job the non-template .cpp can queue. The state is shared before the job
    // is handed over, because a worker may run (and destroy) the job at once.
    using R = std::invoke_result_t<std::decay_t<F>&>;
    auto state = std::make_shared<TaskResult<R>>();
    push(std::make_unique<Task<std::decay_t<F>, R>>(std::forward<F>(f), state));
    return Handle<R>(this, std::move(state));
  }

  /// The number of worker threads.
  std::size_t size() const;

 private:
  template <class R>
  friend class Handle;

  /// A queued task with its types erased.
  class Job {
   public:
    virtual ~Job() = default;
    /// Runs the task and stores its result or exception; never throws.
    virtual void run() noexcept = 0;
  };

  template <class F, class R>
  class Task final : public Job {
   public:
    Task(F f, std::shared_ptr<TaskResult<R>> state) : fn_(std::move(f)), state_(std::move(state)) {}
    void run() noexcept override { state_->run(fn_); }

   private:
    F fn_;
    std::shared_ptr<TaskResult<R>> state_;
  };

  /// One worker's deque: the owner pushes and pops at the back, thieves take
  /// from the front. Its own mutex: workers on different deques do not contend.
  struct Worker {
    std::mutex mutex;                          // guards deque
    std::deque<std::unique_ptr<Job>> deque;
  };

  /// Queues `job`: on the calling worker's deque, or (from outside) on the
  /// next worker's in turn; then wakes one idle worker and any waiting joiner.
  void push(std::unique_ptr<Job> job);
  /// A pending task for worker `self` (the newest of its own, else the oldest
  /// of another worker's), or for an outside thread (nullptr) none. Never blocks.
  std::unique_ptr<Job> find_job(std::optional<std::size_t> self);
  /// Runs `job`, then wakes the joiners that may wait for it.
  void run(std::unique_ptr<Job> job);
  /// join()'s wait: returns once `state` is done, running pending tasks
  /// meanwhile when called on a worker.
  void wait_until_done(const TaskState& state);
  /// What worker `index` runs until the pool is destroyed and nothing is left.
  void worker_loop(std::size_t index);
  /// The index of the calling thread among this pool's workers, if it is one.
  std::optional<std::size_t> current_worker() const;

  // TODO: these members are a suggestion (the solution uses exactly these);
  // add, change or remove as your design needs.
  std::vector<std::unique_ptr<Worker>> workers_;   // one deque per worker, fixed
  std::atomic<std::size_t> next_outside_{0};       // round robin for outside spawns

  std::mutex mutex_;                         // guards queued_, stopping_, joiners_waiting_
  std::condition_variable work_or_stop_cv_;  // idle workers: queued_ > 0 || stopping_
  std::condition_variable work_or_done_cv_;  // joiners: queued_ > 0 || their task is done
  long queued_ = 0;             // tasks in all deques; changed with them, under both locks
  bool stopping_ = false;       // set once by the destructor
  int joiners_waiting_ = 0;     // threads asleep on work_or_done_cv_

  std::vector<std::thread> threads_;  // written only by the constructor and destructor
};

template <class R>
R Handle<R>::join() {
  if (!state_) throw std::logic_error("Handle::join: no task to join (already joined?)");
  auto state = std::move(state_);
  pool_->wait_until_done(*state);
  return state->take();
}
