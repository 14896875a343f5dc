// work_stealing_pool.cpp: the scheduler. Three rules make nested waits safe:
//  - a worker takes the newest task of its own deque first (the subtask it
//    just spawned, hot in its cache), else steals the oldest of another's
//    (the biggest piece of someone else's work);
//  - a worker that waits in join() keeps running pending tasks, so the
//    subtask it waits for cannot starve behind a pool of blocked workers;
//  - idle workers sleep on a condition variable until a push or the
//    destructor, and never poll.
#include "work_stealing_pool.hpp"

namespace {

/// Which pool and worker the calling thread is, if any: spawn() and join()
/// on a worker use its own deque.
struct CurrentWorker {
  const WorkStealingPool* pool = nullptr;
  std::size_t index = 0;
};
thread_local CurrentWorker current;

}  // namespace

WorkStealingPool::WorkStealingPool(std::size_t workers) {
  if (workers == 0) throw std::invalid_argument("WorkStealingPool: needs at least one worker");
  // Every deque exists before the first thread starts: thieves index them all.
  for (std::size_t i = 0; i < workers; ++i) workers_.push_back(std::make_unique<Worker>());
  threads_.reserve(workers);
  try {
    for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this, i] { worker_loop(i); });
  } catch (...) {  // LCOV_EXCL_START: only when the system runs out of threads, which no test can arrange
    {
      std::lock_guard guard(mutex_);
      stopping_ = true;
    }
    work_or_stop_cv_.notify_all();
    for (auto& t : threads_) t.join();
    throw;
  }  // LCOV_EXCL_STOP
}

WorkStealingPool::~WorkStealingPool() {
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
  }
  // Every idle worker must wake to see the flag; busy ones see it when they
  // next run out of work. None leaves while a task is queued anywhere.
  work_or_stop_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

std::size_t WorkStealingPool::size() const { return workers_.size(); }

std::optional<std::size_t> WorkStealingPool::current_worker() const {
  if (current.pool == this) return current.index;
  return std::nullopt;
}

void WorkStealingPool::push(std::unique_ptr<Job> job) {
  const auto self = current_worker();
  const std::size_t target = self ? *self : next_outside_.fetch_add(1, std::memory_order_relaxed) % workers_.size();
  Worker& worker = *workers_[target];
  bool joiners = false;
  {
    std::lock_guard deque_guard(worker.mutex);
    worker.deque.push_back(std::move(job));
    // queued_ changes together with the deque, so it always equals the
    // number of tasks in all deques: a sleeper that sees 0 misses nothing.
    std::lock_guard guard(mutex_);
    ++queued_;
    joiners = joiners_waiting_ > 0;
  }
  work_or_stop_cv_.notify_one();
  // A worker waiting in join() can run this task too.
  if (joiners) work_or_done_cv_.notify_all();
}

std::unique_ptr<WorkStealingPool::Job> WorkStealingPool::find_job(std::optional<std::size_t> self) {
  if (!self) return nullptr;  // outside threads never run tasks
  const std::size_t n = workers_.size();
  // Own deque first, at the back: the newest task, most likely the one this
  // worker is about to join.
  {
    Worker& own = *workers_[*self];
    std::lock_guard deque_guard(own.mutex);
    if (!own.deque.empty()) {
      auto job = std::move(own.deque.back());
      own.deque.pop_back();
      std::lock_guard guard(mutex_);
      --queued_;
      return job;
    }
  }
  // Then steal from the others, at the front: the oldest task, usually the
  // biggest part of the victim's work. Emptiness is checked under the
  // victim's lock, in the same critical section as the take, so the owner
  // and a thief can never both take the last task.
  for (std::size_t k = 1; k < n; ++k) {
    Worker& victim = *workers_[(*self + k) % n];
    std::lock_guard deque_guard(victim.mutex);
    if (!victim.deque.empty()) {
      auto job = std::move(victim.deque.front());
      victim.deque.pop_front();
      std::lock_guard guard(mutex_);
      --queued_;
      return job;
    }
  }
  return nullptr;
}

void WorkStealingPool::run(std::unique_ptr<Job> job) {
  job->run();  // noexcept: the task's exception is stored in its state
  job.reset();
  // The task is done: wake whoever sleeps in join(). Taking the mutex orders
  // the done flag before a joiner's check of it, so no wake-up is lost.
  bool joiners = false;
  {
    std::lock_guard guard(mutex_);
    joiners = joiners_waiting_ > 0;
  }
  if (joiners) work_or_done_cv_.notify_all();
}

void WorkStealingPool::wait_until_done(const TaskState& state) {
  const auto self = current_worker();
  while (!state.done()) {
    // Help: a worker that only blocked here would hold a thread hostage, and
    // with every worker waiting for a subtask still queued, nobody would run
    // it. Running pending tasks (most likely the one we wait for) instead
    // keeps the pool moving.
    if (auto job = find_job(self)) {
      run(std::move(job));
      continue;
    }
    std::unique_lock lock(mutex_);
    ++joiners_waiting_;
    // A worker also wakes for new work; an outside thread only for the end.
    work_or_done_cv_.wait(lock, [&] { return state.done() || (self && queued_ > 0); });
    --joiners_waiting_;
  }
}

void WorkStealingPool::worker_loop(std::size_t index) {
  current = CurrentWorker{this, index};
  for (;;) {
    if (auto job = find_job(index)) {
      run(std::move(job));
      continue;
    }
    std::unique_lock lock(mutex_);
    // Blocks without using CPU until there is work somewhere or the pool is
    // being destroyed; queued_ is checked under the same mutex that push()
    // changes it under, so a push between find_job() and here is not missed.
    work_or_stop_cv_.wait(lock, [this] { return queued_ > 0 || stopping_; });
    // Stopping drains: a worker leaves only when no task is queued anywhere.
    // A task still running elsewhere may spawn more, but its own worker will
    // find those before it leaves.
    if (queued_ == 0) return;
  }
}
