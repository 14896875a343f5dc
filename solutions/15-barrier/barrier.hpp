// barrier.hpp: a reusable barrier for N threads (Python's threading.Barrier):
// each round, every thread waits in arrive_and_wait() until all N have come,
// the last one runs the completion step, and then all go on to the next round.
// Invariant: a thread leaves round g only after all N arrived in round g, and
// the completion runs exactly once per round. abort() breaks it for good.
// Everything to write is in barrier.cpp; this header is given.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>

/// Thrown by arrive_and_wait() on a broken barrier (Python: BrokenBarrierError).
struct BrokenBarrier : std::runtime_error {
  BrokenBarrier() : std::runtime_error("Barrier: broken") {}
};

/// A cyclic barrier: usable for any number of rounds ("generations").
/// Thread safety: every member is safe from any thread, except that the
/// completion step must not call back into its own barrier.
class Barrier {
 public:
  /// A barrier for `parties` threads (0 throws std::invalid_argument).
  /// `completion` (may be empty) runs once per round, on the thread that
  /// arrives last, before any thread of that round is released.
  explicit Barrier(std::size_t parties, std::function<void()> completion = {});
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  /// Blocks until all `parties` threads of this round have arrived, then
  /// returns this thread's arrival index: 0 for the first to arrive, up to
  /// parties - 1 for the last (the one that ran the completion).
  /// Throws BrokenBarrier if the barrier is broken before or while it waits.
  /// If the completion throws, the barrier breaks and that thread gets the
  /// completion's exception (the others get BrokenBarrier).
  std::size_t arrive_and_wait();

  /// Breaks the barrier: every thread waiting now, and every later caller,
  /// gets BrokenBarrier. A round that had already completed is not undone.
  void abort();

  /// Whether the barrier is broken.
  bool broken() const;

  /// The number of threads each round waits for.
  std::size_t parties() const { return parties_; }

  /// How many threads have arrived in the current round so far.
  std::size_t waiting() const;

 private:
  const std::size_t parties_;
  const std::function<void()> completion_;
  mutable std::mutex mutex_;                  // guards everything below
  std::condition_variable round_over_cv_;     // generation_ changed or broken_ set
  std::size_t arrived_ = 0;                   // arrivals in the current round
  [[maybe_unused]] std::uint64_t generation_ = 0;  // rounds completed so far
                                              // ([[maybe_unused]] only quiets clang while the stub ignores it)
  bool broken_ = false;                       // set by abort() or a failed completion, never cleared
};
