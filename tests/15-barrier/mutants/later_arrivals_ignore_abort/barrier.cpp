// barrier.cpp: a reusable barrier from std::mutex + std::condition_variable.
// A round is identified by a generation number. Each waiter remembers the
// generation it arrived in and sleeps until that number moves on (its round
// is over) or the barrier breaks: a count alone cannot tell "my round
// finished" from "the next round has begun", so it mixes rounds up on reuse.
#include "barrier.hpp"

Barrier::Barrier(std::size_t parties, std::function<void()> completion)
    : parties_(parties), completion_(std::move(completion)) {
  if (parties == 0) throw std::invalid_argument("Barrier: needs at least one party");
}

std::size_t Barrier::arrive_and_wait() {
  std::unique_lock lock(mutex_);
  // A broken barrier refuses newcomers too: they would wait for a round
  // that can never fill up.
  const std::size_t index = arrived_++;
  if (arrived_ == parties_) {
    // The last arrival ends the round. The completion runs first, under the
    // lock (as in Python), so it runs exactly once and before anyone leaves;
    // then the count is reset for the next round and the generation moves on.
    if (completion_) {
      try {
        completion_();
      } catch (...) {
        broken_ = true;
        lock.unlock();
        round_over_cv_.notify_all();
        throw;
      }
    }
    arrived_ = 0;
    ++generation_;
    lock.unlock();
    round_over_cv_.notify_all();  // every waiter of this round, not one
    return index;
  }
  // Wait for *this* round to end. A thread released from it may come straight
  // back and arrive in the next round before the others have even woken up:
  // the generation they remembered has moved on anyway, so they leave, and
  // the newcomer, who remembered the new number, waits.
  const std::uint64_t my_generation = generation_;
  round_over_cv_.wait(lock, [&] { return generation_ != my_generation || broken_; });
  // A round that completed stays completed, even if abort() came since.
  if (generation_ == my_generation) throw BrokenBarrier();
  return index;
}

void Barrier::abort() {
  {
    std::lock_guard guard(mutex_);
    broken_ = true;
  }
  // The waiters sleep until their predicate changes: they must be told.
  round_over_cv_.notify_all();
}

bool Barrier::broken() const {
  std::lock_guard guard(mutex_);
  return broken_;
}

std::size_t Barrier::waiting() const {
  std::lock_guard guard(mutex_);
  return arrived_;
}
