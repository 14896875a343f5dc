// thread_pool.cpp: build the pool: start the workers, queue jobs, run them,
// shut down. Keep: every accepted job's future becomes ready (result, the
// task's exception, or TaskCancelled) and nothing is accepted after shutdown.
// Use the members declared in thread_pool.hpp: one mutex for the queue and the
// flag, one condition variable workers block on while idle (never poll).
#include "thread_pool.hpp"

ThreadPool::ThreadPool([[maybe_unused]] std::size_t threads) {
  // TODO: ThreadPool::ThreadPool: reject 0 (std::invalid_argument), then start
  // `threads` std::threads, each running worker_loop().
  throw std::logic_error("TODO: ThreadPool::ThreadPool");
}

ThreadPool::~ThreadPool() {
  // TODO: ThreadPool::~ThreadPool: shut down, waiting (a joinable std::thread
  // destroyed unjoined calls std::terminate). Left empty here, not throwing:
  // a destructor is noexcept, and the stub's constructor throws first anyway.
}

void ThreadPool::enqueue([[maybe_unused]] std::unique_ptr<Job> job) {
  // TODO: ThreadPool::enqueue: under the mutex, throw PoolShutDown if shut
  // down, else push the job; then wake one worker.
  throw std::logic_error("TODO: ThreadPool::enqueue");
}

void ThreadPool::worker_loop() {
  // TODO: ThreadPool::worker_loop: wait on work_or_shutdown_cv_ until there is
  // a job or a shutdown; take one job; run it outside the lock with
  // job->invoke(), passing what it throws to job->fail(). Return once shut
  // down with an empty queue.
  throw std::logic_error("TODO: ThreadPool::worker_loop");
}

void ThreadPool::shutdown([[maybe_unused]] bool wait, [[maybe_unused]] bool cancel_pending) {
  // TODO: ThreadPool::shutdown: set shut_down_ (and, with cancel_pending, take
  // the queued jobs and fail() them with TaskCancelled); wake every worker; if
  // wait, join the workers.
  throw std::logic_error("TODO: ThreadPool::shutdown");
}

std::size_t ThreadPool::size() const { return workers_.size(); }
