// thread_pool.cpp: the pool itself: start the workers, queue jobs, run them,
// shut down. One mutex guards the queue and the shut-down flag; one condition
// variable, named for its predicate, wakes workers when either changes.
// Each job's future is always made ready: by its result, by the exception the
// task threw (caught here, so a throwing task never kills a worker), or by
// TaskCancelled when shutdown(cancel_pending) drops it unstarted.
#include "thread_pool.hpp"

ThreadPool::ThreadPool(std::size_t threads) {
  if (threads == 0) throw std::invalid_argument("ThreadPool: needs at least one thread");
  // The workers start now and live until shutdown: a task reuses a thread
  // instead of paying for a new one. If starting one fails (std::system_error),
  // the ones already running must be stopped and joined before the exception
  // leaves: no destructor runs for a constructor that throws.
  workers_.reserve(threads);
  try {
    for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
  } catch (...) {  // LCOV_EXCL_START: only when the system runs out of threads, which no test can arrange
    shutdown(true, false);
    throw;
  }  // LCOV_EXCL_STOP
}

ThreadPool::~ThreadPool() {
  // Like Python's `with ThreadPoolExecutor() as pool:`: finish what was
  // accepted, then join. A std::thread still joinable at destruction calls
  // std::terminate, so joining here is not optional.
  shutdown(true, false);
}

void ThreadPool::enqueue(std::unique_ptr<Job> job) {
  bool someone_sleeps;
  {
    // The check and the push happen under the same lock as shutdown()'s
    // flag: a job is either refused or queued before the workers can see an
    // empty queue with shut_down_ set and exit. No accepted job is orphaned.
    std::lock_guard guard(mutex_);
    if (shut_down_) throw PoolShutDown();
    queue_.push_back(std::move(job));
    someone_sleeps = num_idle_workers_ > 0;
  }
  // One new job needs one worker. Notifying after unlocking saves the woken
  // worker from blocking again on the mutex we still hold. And only when a
  // worker sleeps: while all are busy they pick the job up on their own, and
  // an unneeded notify can cost a system call per task.
  if (someone_sleeps) work_or_shutdown_cv_.notify_one();
}

void ThreadPool::worker_loop() {
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      // Blocks without using CPU until there is work or a shutdown; the loop
      // re-checks the predicate, so spurious and stolen wake-ups are harmless.
      // It is wait(lock, pred) written out, to count the sleepers: kept under
      // the same mutex, the count tells enqueue() whether anyone needs waking.
      while (queue_.empty() && !shut_down_) {
        ++num_idle_workers_;
        work_or_shutdown_cv_.wait(lock);
        --num_idle_workers_;
      }
      // After shutdown, keep draining: queued jobs still run (unless
      // cancelled, in which case shutdown() already emptied the queue).
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    // Run outside the lock, or the pool would run one task at a time.
    // An exception escaping a thread's function calls std::terminate; here it
    // becomes the future's exception instead, and the worker carries on.
    try {
      job->invoke();
    } catch (...) {
      job->fail(std::current_exception());
    }
  }
}

void ThreadPool::shutdown(bool wait, bool cancel_pending) {
  std::deque<std::unique_ptr<Job>> cancelled;
  {
    std::lock_guard guard(mutex_);
    shut_down_ = true;
    if (cancel_pending) cancelled.swap(queue_);
  }
  // Every worker must re-check the predicate: the idle ones are asleep and
  // would sleep forever (and join() with them) without this.
  work_or_shutdown_cv_.notify_all();
  // Cancelled futures get an answer, so no one waits on them forever. Done
  // outside the lock: setting a future may wake its waiter at once.
  for (auto& job : cancelled) job->fail(std::make_exception_ptr(TaskCancelled()));
  if (wait) {
    // join() on one std::thread from two threads at once is a data race, so
    // concurrent waiting callers take turns; a later one finds them joined.
    std::lock_guard guard(join_mutex_);
    for (auto& worker : workers_) {
      if (worker.joinable()) worker.join();
    }
  }
}

std::size_t ThreadPool::size() const { return workers_.size(); }
