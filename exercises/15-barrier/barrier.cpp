// barrier.cpp: build a reusable barrier for N threads from std::mutex +
// std::condition_variable: arrive_and_wait() blocks until all N have arrived,
// the last runs the completion step once, then all are released together.
// Keep: nobody leaves round g before all N arrived in it, even when a fast
// thread comes straight back for round g + 1; abort() releases every waiter.
#include "barrier.hpp"

Barrier::Barrier(std::size_t parties, std::function<void()> completion)
    : parties_(parties), completion_(std::move(completion)) {
  // TODO: Barrier::Barrier: refuse 0 parties (std::invalid_argument).
  throw std::logic_error("TODO: Barrier::Barrier");
}

std::size_t Barrier::arrive_and_wait() {
  // TODO: Barrier::arrive_and_wait: under the mutex, refuse if broken; take
  // the next arrival index; the last to arrive runs the completion (a throw
  // breaks the barrier), resets the count, moves generation_ on and wakes
  // everyone; the others sleep until *their* generation is over or the
  // barrier breaks (then BrokenBarrier).
  throw std::logic_error("TODO: Barrier::arrive_and_wait");
}

void Barrier::abort() {
  // TODO: Barrier::abort: mark the barrier broken under the mutex, then wake
  // every waiter.
  throw std::logic_error("TODO: Barrier::abort");
}

bool Barrier::broken() const {
  std::lock_guard guard(mutex_);
  return broken_;
}

std::size_t Barrier::waiting() const {
  std::lock_guard guard(mutex_);
  return arrived_;
}
