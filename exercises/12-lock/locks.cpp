// locks.cpp: the spin lock and the ticket lock. Taking a lock is an acquire
// (what the last holder wrote becomes visible), letting go is a release (what
// this holder wrote is published); relaxed orders nothing. Spin with
// cpu_relax() and back off, then std::this_thread::yield(): with more threads
// than cores, the holder may be waiting for a core.
#include "locks.hpp"

#include <stdexcept>
#include <thread>

namespace {

/// One "I am spinning" hint to the CPU (x86 PAUSE): saves power and lets the
/// other hyper-thread of the core run while this one waits.
[[maybe_unused]] inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace

void SpinLock::lock() {
  // TODO: SpinLock::lock: loop: try to set locked_ with one atomic exchange
  // (acquire); if it was already set, spin on plain loads until it looks
  // free, pausing 1, 2, 4, ... times between loads (cpu_relax), and yielding
  // once the backoff reaches its cap.
  throw std::logic_error("TODO: SpinLock::lock");
}

bool SpinLock::try_lock() {
  // TODO: SpinLock::try_lock: succeed only if this call changed locked_ from
  // false to true; never wait.
  throw std::logic_error("TODO: SpinLock::try_lock");
}

void SpinLock::unlock() {
  // TODO: SpinLock::unlock: clear locked_ (release).
  throw std::logic_error("TODO: SpinLock::unlock");
}

void TicketLock::lock() {
  // TODO: TicketLock::lock: take a ticket with fetch_add on next_ticket_, then
  // spin (cpu_relax, a yield now and then) until now_serving_ (acquire) is it.
  throw std::logic_error("TODO: TicketLock::lock");
}

bool TicketLock::try_lock() {
  // TODO: TicketLock::try_lock: the lock is free with no one queued exactly
  // when next_ticket_ == now_serving_; take a ticket only in that case, with
  // one compare_exchange_strong, so a failed try leaves no ticket behind.
  throw std::logic_error("TODO: TicketLock::try_lock");
}

void TicketLock::unlock() {
  // TODO: TicketLock::unlock: serve the next ticket: now_serving_ + 1 (release).
  throw std::logic_error("TODO: TicketLock::unlock");
}

std::uint32_t TicketLock::queue_length() const {
  // TODO: TicketLock::queue_length: next_ticket_ - now_serving_ (read
  // now_serving_ first: it never passes next_ticket_).
  throw std::logic_error("TODO: TicketLock::queue_length");
}
