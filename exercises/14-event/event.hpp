// event.hpp: an event, Python's threading.Event: a flag that threads wait for.
// set() raises the flag and releases every waiter; clear() lowers it; wait()
// blocks until it is raised. Invariant: wait() returns only after seeing the
// flag set, and no waiter sleeps on while the flag stays set.
// Everything to write is in event.cpp; this header is given.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

/// A manual-reset event: a boolean flag plus a way to sleep until it is true.
/// Once set it stays set (and lets every wait() through at once) until clear().
/// Thread safety: every member is safe from any thread.
class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  /// Raises the flag and wakes every thread blocked in wait() or wait_for().
  void set();

  /// Lowers the flag; later waits block until the next set().
  void clear();

  /// The flag now (a snapshot).
  bool is_set() const;

  /// Blocks, without using CPU, until the flag is set; returns at once if it
  /// already is. Returns only having seen the flag set.
  void wait();

  /// Like wait(), for at most `timeout`: true once it has seen the flag set,
  /// false if the flag stayed clear for the whole timeout. Never returns false
  /// before `timeout` has passed.
  bool wait_for(std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mutex_;
  std::condition_variable flag_set_cv_;  // flag_ became true
  bool flag_ = false;                    // guarded by mutex_
};
