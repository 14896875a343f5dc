// semaphore.hpp: a counting semaphore built from a mutex and a condition
// variable, and run_bounded(), which uses one to keep at most k tasks running.
// Invariant: the count of free permits never goes below zero, and a release
// wakes as many blocked acquirers as it adds permits.
// Everything to write is in semaphore.cpp; this header is given.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <vector>

/// A counting semaphore (Python's threading.Semaphore, C++20's
/// std::counting_semaphore): a number of permits that acquire() takes one at a
/// time, blocking while there are none, and release() gives back. Any thread may
/// release, not only one that acquired: a semaphore has no owner.
/// Thread safety: every member is safe from any thread.
class Semaphore {
 public:
  /// Starts with `permits` free permits; throws std::invalid_argument if negative.
  explicit Semaphore(std::ptrdiff_t permits);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  /// Takes one permit, blocking (without using CPU) while none is free.
  void acquire();

  /// Gives back `n` permits (n >= 1, else std::invalid_argument) and wakes up
  /// to `n` blocked acquirers.
  void release(std::ptrdiff_t n = 1);

  /// Takes one permit if one is free now; never blocks.
  bool try_acquire();

  /// Takes one permit, waiting at most `timeout` for one to be released.
  /// Returns false, after about `timeout`, if none became free.
  bool try_acquire_for(std::chrono::milliseconds timeout);

  /// The number of free permits now (a snapshot: for tests and logging).
  std::ptrdiff_t available() const;

 private:
  mutable std::mutex mutex_;                 // guards permits_
  std::condition_variable permit_free_cv_;   // permits_ > 0
  std::ptrdiff_t permits_;                   // free permits, never negative
};

/// Runs every task, at most `k` of them at the same moment (k >= 1, else
/// std::invalid_argument), each on a thread of its own, and returns when all
/// have finished. If tasks threw, the others still run, and run_bounded then
/// rethrows the exception of the first failing task in input order.
void run_bounded(const std::vector<std::function<void()>>& tasks, std::size_t k);
