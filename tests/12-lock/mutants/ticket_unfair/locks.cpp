// locks.cpp: the spin lock and the ticket lock. The memory orders carry the
// lesson: taking a lock is an acquire (what the last holder wrote becomes
// visible), letting go is a release (what this holder wrote is published).
// Relaxed everywhere would still be atomic, but would order nothing: the data
// the lock protects could be read stale or half-written.
#include "locks.hpp"

#include <thread>

namespace {

/// One "I am spinning" hint to the CPU (x86 PAUSE): saves power and lets the
/// other hyper-thread of the core run while this one waits.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

/// Pauses before giving the core away: 1, 2, 4, ... up to this many.
constexpr int kMaxBackoff = 1024;

}  // namespace

void SpinLock::lock() {
  int backoff = 1;
  for (;;) {
    // Test-and-set: one atomic read-modify-write; it returns the old value,
    // so exactly one of several racing threads sees false and wins.
    if (!locked_.exchange(true, std::memory_order_acquire)) return;
    // Test (read only) while it is held: a plain load is served from this
    // core's cache, where an exchange would pull the cache line over from
    // the holder's core on every try and slow everyone down.
    while (locked_.load(std::memory_order_relaxed)) {
      for (int i = 0; i < backoff; ++i) cpu_relax();
      // Exponential backoff: the longer it is held, the less often we look,
      // so a crowd of waiters does not hammer the line the moment it frees.
      // At the cap, give the core away: the holder may be waiting for one
      // (2 cores, 8 spinning threads: without yield it may not run at all).
      if (backoff < kMaxBackoff) {
        backoff *= 2;
      } else {
        std::this_thread::yield();
      }
    }
  }
}

bool SpinLock::try_lock() {
  // Test first, so a try on a held lock does not write the shared line.
  return !locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire);
}

void SpinLock::unlock() { locked_.store(false, std::memory_order_release); }

void TicketLock::lock() {
  // BUG (mutant): takes a ticket (so queue_length() counts this thread) but
  // then competes for the lock like a spin lock: whoever sees it free first
  // enters, whatever its ticket.
  next_ticket_.fetch_add(1, std::memory_order_relaxed);
  int spins = 0;
  while (held_.exchange(true, std::memory_order_acquire)) {
    cpu_relax();
    if (++spins == 64) {
      spins = 0;
      std::this_thread::yield();
    }
  }
}

bool TicketLock::try_lock() {
  // Free and no one queued means next_ticket_ == now_serving_. Take a ticket
  // only in that case, in one compare-and-swap: a plain fetch_add would leave
  // a ticket behind on failure, and the queue would wait for it forever.
  const std::uint32_t serving = now_serving_.load(std::memory_order_acquire);
  std::uint32_t expected = serving;
  if (!next_ticket_.compare_exchange_strong(expected, serving + 1, std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
    return false;
  }
  held_.store(true, std::memory_order_relaxed);
  return true;
}

void TicketLock::unlock() {
  // Only the holder writes now_serving_, so load + store is not a race; the
  // release publishes the critical section to the next ticket's acquire.
  now_serving_.store(now_serving_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  held_.store(false, std::memory_order_release);
}

std::uint32_t TicketLock::queue_length() const {
  // now_serving_ first: it never passes next_ticket_, so reading it first
  // can never give a "negative" (wrapped) length.
  const std::uint32_t serving = now_serving_.load(std::memory_order_acquire);
  return next_ticket_.load(std::memory_order_acquire) - serving;
}
