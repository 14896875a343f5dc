// event.cpp: build an event (Python's threading.Event) from std::mutex +
// std::condition_variable: a flag that set() raises, clear() lowers and
// wait() waits for. Keep: wait() returns only having seen the flag set, and
// set() releases every waiter. Waiters block on flag_set_cv_ (declared in
// event.hpp) and never poll.
#include "event.hpp"

#include <stdexcept>

void Event::set() {
  // TODO: Event::set: raise the flag under the mutex, then wake every waiter.
  throw std::logic_error("TODO: Event::set");
}

void Event::clear() {
  // TODO: Event::clear: lower the flag under the mutex.
  throw std::logic_error("TODO: Event::clear");
}

bool Event::is_set() const {
  std::lock_guard guard(mutex_);
  return flag_;
}

void Event::wait() {
  // TODO: Event::wait: under the mutex, sleep on flag_set_cv_ until the flag
  // is set, checking it before the first sleep and after every wake-up.
  throw std::logic_error("TODO: Event::wait");
}

bool Event::wait_for([[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO: Event::wait_for: like wait(), but give up after `timeout`; return
  // whether the flag was seen set.
  throw std::logic_error("TODO: Event::wait_for");
}
