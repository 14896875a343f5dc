// lock_order.hpp: a mutex that finds a deadlock before it happens, like the
// Linux kernel's lockdep. Every CheckedMutex records, in one lock-order graph
// shared by all threads, "A was held while B was taken" (an edge A -> B).
// Taking B while holding A when B -> ... -> A is already recorded would close a
// cycle: lock() then throws PotentialDeadlock naming it, without taking B.
#pragma once

#include <cstddef>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

/// Thrown by CheckedMutex::lock() when taking the mutex would close a cycle
/// in the recorded lock order. The mutex was not taken.
class PotentialDeadlock : public std::logic_error {
 public:
  /// what() is "potential deadlock: " followed by the cycle, e.g. "A -> B -> A".
  explicit PotentialDeadlock(std::vector<std::string> cycle);

  /// The names on the cycle, starting and ending with the mutex that was being
  /// locked: {"A", "B", "C", "A"} means A was taken before B, B before C, and
  /// now a thread holding C asked for A.
  const std::vector<std::string>& cycle() const noexcept { return cycle_; }

 private:
  std::vector<std::string> cycle_;
};

/// A std::mutex with a name, whose lock() checks the global lock order first.
/// Thread safety: like std::mutex: any thread may lock(); the thread that
/// locked it unlocks it. Not recursive: locking it again from the thread that
/// holds it is reported as the cycle {"A", "A"}.
class CheckedMutex {
 public:
  explicit CheckedMutex(std::string name);
  CheckedMutex(const CheckedMutex&) = delete;
  CheckedMutex& operator=(const CheckedMutex&) = delete;

  /// Checks the lock order against every mutex this thread holds (throws
  /// PotentialDeadlock, taking nothing, if it would close a cycle), records
  /// the new edges, then blocks until the mutex is free and takes it.
  void lock();
  /// Releases the mutex; it no longer orders what this thread takes next.
  void unlock();

  const std::string& name() const noexcept { return name_; }
  /// Unique to this mutex and never reused, even after it is destroyed.
  std::size_t id() const noexcept { return id_; }

 private:
  std::mutex mutex_;
  std::string name_;
  std::size_t id_;
};
