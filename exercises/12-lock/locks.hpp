// locks.hpp: build two locks from std::atomic alone: a test-and-test-and-set
// spin lock with exponential backoff, and a fair (FIFO) ticket lock.
// Invariant: at most one thread between lock() (or a successful try_lock())
// and unlock(); the ticket lock admits its waiters in the order they came.
// No std::mutex: an atomic read-modify-write (exchange, fetch_add,
// compare_exchange) is the primitive; acquire/release orders the data.
#pragma once

#include <atomic>
#include <cstdint>

/// A spin lock: waiting threads spin (with backoff) instead of sleeping.
/// Good for critical sections of a few instructions; unfair: any waiter may
/// win. Thread safety: safe from any thread; unlock() only by the holder;
/// not recursive (locking it twice from one thread spins forever).
class SpinLock {
 public:
  SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  /// Spins until the lock is taken: reads the flag until it looks free
  /// (backing off, then yielding, while it is held), then tries to set it.
  void lock();
  /// Takes the lock if it is free right now; never waits. True on success.
  bool try_lock();
  /// Lets go; the next lock()/try_lock() sees everything written before.
  void unlock();

 private:
  std::atomic<bool> locked_{false};  // true while someone holds the lock
};

/// A ticket lock, like the queue at a deli counter: take a number, wait until
/// it is called. Fair: threads enter in the order they took their tickets.
/// Thread safety: safe from any thread; unlock() only by the holder; not
/// recursive.
class TicketLock {
 public:
  TicketLock() = default;
  TicketLock(const TicketLock&) = delete;
  TicketLock& operator=(const TicketLock&) = delete;

  /// Takes the next ticket and waits until it is served.
  void lock();
  /// Takes the lock only if it is free and no one is queued; never waits and
  /// never leaves a ticket behind. True on success.
  bool try_lock();
  /// Serves the next ticket.
  void unlock();

  /// Tickets taken and not yet finished: the holder plus the waiters (0 when
  /// free). A snapshot, for tests and monitoring.
  std::uint32_t queue_length() const;

 private:
  std::atomic<std::uint32_t> next_ticket_{0};  // the number the next arrival takes
  std::atomic<std::uint32_t> now_serving_{0};  // the ticket allowed in; only the holder advances it
};
