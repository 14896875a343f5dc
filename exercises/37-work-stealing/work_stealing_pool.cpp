// work_stealing_pool.cpp: the scheduler, yours to write. Three rules make
// nested waits safe:
//  - a worker takes the newest task of its own deque first, else steals the
//    oldest of another's;
//  - a worker that waits in join() keeps running pending tasks;
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
  // TODO: refuse 0 workers (std::invalid_argument); create one Worker (deque)
  // per worker, then start the threads, each running worker_loop(i).
  (void)workers;
  throw std::logic_error("TODO: WorkStealingPool::WorkStealingPool");
}

WorkStealingPool::~WorkStealingPool() {
  // TODO: set stopping_ under mutex_, wake every idle worker, join them all.
  // The workers leave only once no task is queued anywhere.
}

std::size_t WorkStealingPool::size() const { return workers_.size(); }

std::optional<std::size_t> WorkStealingPool::current_worker() const {
  if (current.pool == this) return current.index;
  return std::nullopt;
}

void WorkStealingPool::push(std::unique_ptr<Job> job) {
  // TODO: on a worker, push_back onto its own deque; from outside, onto the
  // next worker's deque in turn. Count it in queued_ (under mutex_) while the
  // deque is still locked, then wake one idle worker and any waiting joiner.
  (void)job;
  throw std::logic_error("TODO: WorkStealingPool::push");
}

std::unique_ptr<WorkStealingPool::Job> WorkStealingPool::find_job(std::optional<std::size_t> self) {
  // TODO: for a worker: the back of its own deque, else the front of another
  // worker's. Check for emptiness and take under the same lock. Outside
  // threads (no self) get nothing.
  (void)self;
  throw std::logic_error("TODO: WorkStealingPool::find_job");
}

void WorkStealingPool::run(std::unique_ptr<Job> job) {
  // TODO: run the job (it stores its own result or exception), then wake the
  // threads waiting in join(), without losing a wake-up.
  (void)job;
  throw std::logic_error("TODO: WorkStealingPool::run");
}

void WorkStealingPool::wait_until_done(const TaskState& state) {
  // TODO: until state.done(): on a worker, run a pending task if there is one;
  // otherwise sleep on work_or_done_cv_ until the task is done or (on a
  // worker) there is new work to help with.
  (void)state;
  throw std::logic_error("TODO: WorkStealingPool::wait_until_done");
}

void WorkStealingPool::worker_loop(std::size_t index) {
  // TODO: remember who this thread is (current), then: find a job and run it;
  // with none, sleep on work_or_stop_cv_ until queued_ > 0 || stopping_;
  // return once stopping with nothing queued.
  current = CurrentWorker{this, index};
  throw std::logic_error("TODO: WorkStealingPool::worker_loop");
}
