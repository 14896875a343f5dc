// semaphore.cpp: a counting semaphore from std::mutex + std::condition_variable,
// and run_bounded(), which bounds in-flight work with it. The count lives under
// the mutex; acquirers sleep on permit_free_cv_ while it is zero, and every
// change that can let one through notifies. A waiter always re-checks the
// count in a loop: being woken is a hint, not a permit.
#include "semaphore.hpp"

#include <exception>
#include <thread>

Semaphore::Semaphore(std::ptrdiff_t permits) : permits_(permits) {
  if (permits < 0) throw std::invalid_argument("Semaphore: negative number of permits");
}

void Semaphore::acquire() {
  std::unique_lock lock(mutex_);
  // wait(lock, pred) is `while (!pred()) wait(lock);`: after a wake-up the
  // count is checked again, because a notify_all, a spurious wake-up or a
  // faster thread that took the permit first can all wake us with none left.
  permit_free_cv_.wait(lock, [this] { return permits_ > 0; });
  --permits_;
}

void Semaphore::release(std::ptrdiff_t n) {
  if (n < 1) throw std::invalid_argument("Semaphore: release needs n >= 1");
  {
    std::lock_guard guard(mutex_);
    permits_ += n;
  }
  // n new permits can satisfy n waiters: notify_one() would wake one and
  // leave the others asleep next to free permits (a lost wake-up). Waking
  // more than n is harmless, since each re-checks the count.
  if (n == 1) {
    permit_free_cv_.notify_one();
  } else {
    permit_free_cv_.notify_all();
  }
}

bool Semaphore::try_acquire() {
  std::lock_guard guard(mutex_);
  if (permits_ == 0) return false;
  --permits_;
  return true;
}

bool Semaphore::try_acquire_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  // wait_for with a predicate keeps waiting after spurious wake-ups until the
  // deadline (computed once, so wake-ups do not extend it), and returns the
  // predicate's last value: false only when the time is up and no permit is free.
  (void)timeout;  // MUTANT: no deadline
  permit_free_cv_.wait(lock, [this] { return permits_ > 0; });
  --permits_;
  return true;
}

std::ptrdiff_t Semaphore::available() const {
  std::lock_guard guard(mutex_);
  return permits_;
}

void run_bounded(const std::vector<std::function<void()>>& tasks, std::size_t k) {
  if (k == 0) throw std::invalid_argument("run_bounded: k must be at least 1");
  Semaphore slots(static_cast<std::ptrdiff_t>(k));
  std::vector<std::exception_ptr> errors(tasks.size());
  std::vector<std::thread> workers;
  workers.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    // The permit is taken here, before the thread starts, and given back by
    // the worker: so at most k tasks run, and at most k workers are alive.
    // (A semaphore, unlike a mutex, may be released by another thread.)
    slots.acquire();
    workers.emplace_back([&slots, &errors, &task = tasks[i], i] {
      // The permit goes back however the task ends: a task that throws and
      // keeps its permit would shrink the bound until run_bounded hangs.
      try {
        task();
      } catch (...) {
        errors[i] = std::current_exception();  // each worker writes its own slot
      }
      slots.release();
    });
  }
  // join() makes each worker's write to errors[i] visible here.
  for (auto& worker : workers) worker.join();
  for (auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}
