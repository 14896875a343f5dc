// semaphore.cpp: build a counting semaphore from std::mutex +
// std::condition_variable, then use it in run_bounded() to keep at most k
// tasks running at once. Keep: the count never goes below zero, and a release
// wakes as many blocked acquirers as it adds permits. Acquirers must block on
// permit_free_cv_ (declared in semaphore.hpp), never poll.
#include "semaphore.hpp"

#include <exception>
#include <thread>

Semaphore::Semaphore(std::ptrdiff_t permits) : permits_(permits) {
  // TODO: Semaphore::Semaphore: refuse a negative count (std::invalid_argument).
  throw std::logic_error("TODO: Semaphore::Semaphore");
}

void Semaphore::acquire() {
  // TODO: Semaphore::acquire: under the mutex, wait on permit_free_cv_ until a
  // permit is free (check again after every wake-up), then take it.
  throw std::logic_error("TODO: Semaphore::acquire");
}

void Semaphore::release([[maybe_unused]] std::ptrdiff_t n) {
  // TODO: Semaphore::release: refuse n < 1, add n permits under the mutex,
  // then wake enough waiters for all n of them.
  throw std::logic_error("TODO: Semaphore::release");
}

bool Semaphore::try_acquire() {
  // TODO: Semaphore::try_acquire: take a permit if one is free, without waiting.
  throw std::logic_error("TODO: Semaphore::try_acquire");
}

bool Semaphore::try_acquire_for([[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO: Semaphore::try_acquire_for: like acquire(), but give up and return
  // false once `timeout` has passed with no permit free.
  throw std::logic_error("TODO: Semaphore::try_acquire_for");
}

std::ptrdiff_t Semaphore::available() const {
  std::lock_guard guard(mutex_);
  return permits_;
}

void run_bounded([[maybe_unused]] const std::vector<std::function<void()>>& tasks, [[maybe_unused]] std::size_t k) {
  // TODO: run_bounded: refuse k == 0; with a Semaphore of k permits, take a
  // permit before starting each task's std::thread and give it back when the
  // task ends, even when it throws; join them all; then rethrow the first
  // failing task's exception (std::exception_ptr), in input order.
  throw std::logic_error("TODO: run_bounded");
}
