// lock_order.cpp: the lock-order graph and the checked mutex. A deadlock needs
// a cycle of threads, each holding a lock the next one waits for; every such
// cycle shows up first as a cycle in the ORDER locks are taken in. So record
// that order (edges held -> taken, from every thread, in one graph) and refuse
// the lock that would close a cycle: the bug is found on a run that did not hang.
#include "lock_order.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : " -> ") + name;
  return text;
}

std::atomic<std::size_t> next_id{0};

/// The lock-order graph: an edge a -> b means "some thread took b while it held
/// a". One graph for the whole program, because the two halves of a deadlock
/// usually run on different threads, often at different times.
/// Safe from any thread: mutex_ guards everything. It is held only for the
/// check and the bookkeeping, never while waiting for a CheckedMutex: holding
/// it there would make every thread wait for the one that waits for its lock.
class LockOrderGraph {
 public:
  /// Before a thread that holds `held` takes `next`: throws PotentialDeadlock
  /// if some held mutex h can already be reached from `next` (then h -> next
  /// would close a cycle), recording nothing; otherwise records h -> next for
  /// every held h.
  void check_and_record(const std::vector<const CheckedMutex*>& held, const CheckedMutex& next) {
    std::lock_guard guard(mutex_);
    for (const CheckedMutex* h : held) {
      // A path next -> ... -> h, plus the edge h -> next we are about to add,
      // is a cycle. h == next gives the path {next}: a self-deadlock, A -> A.
      if (auto path = find_path(next.id(), h->id())) {
        std::vector<std::string> cycle;
        // MUTANT: the path's ends only.
        cycle.push_back(names_.at(path->front()));
        if (path->size() > 1) cycle.push_back(names_.at(path->back()));
        cycle.push_back(next.name());
        throw PotentialDeadlock(std::move(cycle));
      }
    }
    // Recorded only once the lock is known to be safe, and with names copied:
    // the graph outlives the mutexes (ids are never reused).
    names_.try_emplace(next.id(), next.name());
    for (const CheckedMutex* h : held) {
      names_.try_emplace(h->id(), h->name());
      after_[h->id()].insert(next.id());
    }
  }

 private:
  /// The ids on a path from `from` to `to` along recorded edges, both ends
  /// included ({from} when from == to), or nothing. Breadth-first, so the
  /// path reported is a shortest one. The caller holds mutex_.
  std::optional<std::vector<std::size_t>> find_path(std::size_t from, std::size_t to) const {
    std::unordered_map<std::size_t, std::size_t> came_from{{from, from}};
    std::deque<std::size_t> frontier{from};
    while (!frontier.empty()) {
      const std::size_t at = frontier.front();
      frontier.pop_front();
      if (at == to) {
        std::vector<std::size_t> path{to};
        while (path.back() != from) path.push_back(came_from.at(path.back()));
        std::reverse(path.begin(), path.end());
        return path;
      }
      if (auto edges = after_.find(at); edges != after_.end()) {
        for (std::size_t next : edges->second) {
          if (came_from.try_emplace(next, at).second) frontier.push_back(next);
        }
      }
    }
    return std::nullopt;
  }

  std::mutex mutex_;                                                     // guards the two maps
  std::unordered_map<std::size_t, std::unordered_set<std::size_t>> after_;  // a -> {b taken while a held}
  std::unordered_map<std::size_t, std::string> names_;                  // for reports
};

LockOrderGraph& lock_order_graph() {
  static LockOrderGraph graph;  // initialised once, thread-safely (a "magic static")
  return graph;
}

// What THIS thread holds, in the order it took them. Per thread, because an
// edge means "the same thread held a while taking b": a lock another thread
// holds orders nothing here (that is contention, not nesting).
thread_local std::vector<const CheckedMutex*> held_by_this_thread;

}  // namespace

PotentialDeadlock::PotentialDeadlock(std::vector<std::string> cycle)
    : std::logic_error("potential deadlock: " + join(cycle)), cycle_(std::move(cycle)) {}

CheckedMutex::CheckedMutex(std::string name) : name_(std::move(name)), id_(next_id++) {}

void CheckedMutex::lock() {
  // Check first, block second: this is what finds the deadlock before it
  // happens. If the check throws, nothing was taken and nothing recorded.
  lock_order_graph().check_and_record(held_by_this_thread, *this);
  mutex_.lock();
  held_by_this_thread.push_back(this);
}

void CheckedMutex::unlock() {
  // Locks need not be released in reverse order: remove this one wherever it
  // is (searching from the most recent), so it orders nothing taken later.
  auto& held = held_by_this_thread;
  if (auto it = std::find(held.rbegin(), held.rend(), this); it != held.rend()) held.erase(std::next(it).base());
  mutex_.unlock();
}
