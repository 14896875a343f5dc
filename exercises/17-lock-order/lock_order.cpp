// lock_order.cpp: build the lock-order graph and the checked mutex. Record, in
// one graph for all threads, an edge held -> taken for every lock a thread
// takes while holding others; refuse (throw PotentialDeadlock) the lock that
// would close a cycle, before blocking on it. Keep the graph behind its own
// std::mutex, and what each thread holds in a thread_local list.
#include "lock_order.hpp"

#include <atomic>

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : " -> ") + name;
  return text;
}

std::atomic<std::size_t> next_id{0};

// TODO: the lock-order graph (edges id -> ids taken while it was held, and the
// names for reports, behind a std::mutex, in one instance for the program) and
// a thread_local list of the CheckedMutexes this thread holds.

}  // namespace

PotentialDeadlock::PotentialDeadlock(std::vector<std::string> cycle)
    : std::logic_error("potential deadlock: " + join(cycle)), cycle_(std::move(cycle)) {}

CheckedMutex::CheckedMutex(std::string name) : name_(std::move(name)), id_(next_id++) {}

void CheckedMutex::lock() {
  // TODO: CheckedMutex::lock: for each mutex h this thread holds, look for a
  // recorded path from this mutex to h; if there is one, throw
  // PotentialDeadlock({this, ..., h, this} as names) without locking.
  // Otherwise record h -> this for every held h, then lock mutex_ and add this
  // mutex to the thread's held list.
  throw std::logic_error("TODO: CheckedMutex::lock");
}

void CheckedMutex::unlock() {
  // TODO: CheckedMutex::unlock: remove this mutex from the thread's held list
  // (wherever it is: locks are not always released in reverse order), then
  // unlock mutex_.
  throw std::logic_error("TODO: CheckedMutex::unlock");
}
