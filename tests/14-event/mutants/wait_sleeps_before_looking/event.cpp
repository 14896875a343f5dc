// event.cpp: an event from std::mutex + std::condition_variable. The flag
// lives under the mutex; set() changes it and then wakes every waiter, and each
// waiter re-checks the flag after every wake-up: a wake-up only means "look
// again", never "the flag is set".
#include "event.hpp"

void Event::set() {
  {
    // The flag is written under the mutex a waiter holds between checking it
    // and going to sleep, so a set() cannot slip into that gap: either the
    // waiter sees the flag, or it is already asleep and gets the notify.
    std::lock_guard guard(mutex_);
    flag_ = true;
  }
  // Every waiter waits for the same thing, so all of them must wake up:
  // notify_one() would release one and leave the rest asleep on a set flag.
  flag_set_cv_.notify_all();
}

void Event::clear() {
  // Nobody waits for the flag to go down, so there is no one to notify.
  std::lock_guard guard(mutex_);
  flag_ = false;
}

bool Event::is_set() const {
  std::lock_guard guard(mutex_);
  return flag_;
}

void Event::wait() {
  std::unique_lock lock(mutex_);
  // The predicate form checks the flag first (a set() that came before the
  // wait is not missed), and again after every wake-up: a spurious one, or a
  // set() that a clear() undid before this thread got the mutex back, sends
  // it back to sleep instead of returning with the flag down.
  do {
    flag_set_cv_.wait(lock);  // MUTANT: sleeps before looking at the flag
  } while (!flag_);
}

bool Event::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  // The same loop, with one deadline computed up front: wake-ups neither
  // extend it nor end the wait early. Returns the flag as last seen.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {  // MUTANT: sleeps before looking at the flag
    if (flag_set_cv_.wait_until(lock, deadline) == std::cv_status::timeout) return flag_;
  } while (!flag_);
  return true;
}
