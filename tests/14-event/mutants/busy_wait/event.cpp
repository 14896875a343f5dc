// event.cpp: an event from std::mutex + std::condition_variable. The flag
// lives under the mutex; set() changes it and then wakes every waiter, and each
// waiter re-checks the flag after every wake-up: a wake-up only means "look
// again", never "the flag is set".
#include "event.hpp"

#include <thread>

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
  while (!is_set()) std::this_thread::yield();  // MUTANT: polls instead of sleeping
}

bool Event::wait_for(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!is_set()) {  // MUTANT: polls instead of sleeping
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
  return true;
}
