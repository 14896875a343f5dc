// Hidden tests of 12-lock: a spin lock and a ticket lock built from atomics,
// judged by what is observable: how many threads are inside the critical
// section at once (an occupancy counter), whether plain data the lock guards
// adds up (and, under ThreadSanitizer, whether it races), the order in which
// queued threads enter, and what try_lock answers.
//
// A broken lock can also hang (a ticket nobody serves). Threads that block
// run through kata::finishes_within / value_within, or are started by a
// kata::Crew, which abandons threads that do not finish by a deadline;
// everything they touch lives in shared_ptrs, so an abandoned thread never
// touches a dead stack frame.
#include <catch2/catch.hpp>

#include "locks.hpp"

#include <kata/test.hpp>
#include <kata/thread_test.hpp>

#include <atomic>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// What the stress threads share: the lock under test, an occupancy count,
/// and plain (non-atomic) data that only the lock protects.
template <class Lock>
struct Guarded {
  Lock lock;
  std::atomic<int> inside{0};     // threads between lock and unlock right now
  std::atomic<int> crowded{0};    // times a thread found another one inside
  long counter = 0;               // guarded by `lock` only
  std::atomic<long> entries{0};   // critical sections completed (to compare)
  kata::FailureLog log;

  /// The critical section: checks it is alone, then does a read-modify-write
  /// of plain data that loses updates if another thread is inside.
  void critical_section(std::mt19937_64& gen) {
    // Relaxed on purpose: a seq_cst read-modify-write here would itself order
    // the threads (each fetch_sub a release, each fetch_add an acquire) and
    // hide a lock that orders nothing from ThreadSanitizer.
    if (inside.fetch_add(1, std::memory_order_relaxed) != 0) crowded.fetch_add(1, std::memory_order_relaxed);
    const long seen = counter;
    kata::random_pause(gen);  // widens the window a broken lock leaves open
    counter = seen + 1;
    inside.fetch_sub(1, std::memory_order_relaxed);
    entries.fetch_add(1, std::memory_order_relaxed);
  }
};

/// Runs `threads` threads that enter the critical section over and over, by
/// lock() or by a try_lock() loop, and returns once they finish (or the
/// deadline passes: false).
template <class Lock>
bool hammer(const std::shared_ptr<Guarded<Lock>>& g, int threads, kata::StressLimits limits) {
  kata::Crew crew(std::shared_ptr<kata::FailureLog>(g, &g->log));
  auto start = std::make_shared<std::latch>(threads);
  for (int t = 0; t < threads; ++t) {
    crew.start([g, t, start, limits] {
      auto gen = kata::rng(static_cast<std::uint64_t>(t));
      start->arrive_and_wait();
      kata::stress(limits, [&](int i) {
        if ((i + t) % 4 == 0) {
          while (!g->lock.try_lock()) std::this_thread::yield();
        } else {
          g->lock.lock();
        }
        g->critical_section(gen);
        g->lock.unlock();
        kata::random_pause(gen);
      });
    });
  }
  return crew.all_done_within(5s);
}

/// From a thread that does not hold `lock`: what try_lock answers (and, if it
/// succeeded, lets go again). nullopt if it did not return within 5 s.
template <class Lock>
std::optional<bool> try_lock_elsewhere(const std::shared_ptr<Lock>& lock) {
  return kata::value_within(5s, [lock] {
    const bool got = lock->try_lock();
    if (got) lock->unlock();
    return got;
  });
}

/// Two threads that meet again and again: both spin until the other has
/// arrived too, so they leave each meeting within a few instructions of each
/// other. Gives up (false) at `deadline`, so a broken lock cannot hang it.
class SpinMeeting {
 public:
  bool arrive_and_wait(kata::Clock::time_point deadline) {
    const int round = round_.load();
    if (arrived_.fetch_add(1) == 1) {
      arrived_.store(0);
      round_.fetch_add(1);
      return true;
    }
    while (round_.load() == round) {
      if (kata::Clock::now() > deadline) return false;
    }
    return true;
  }

 private:
  std::atomic<int> arrived_{0};
  std::atomic<int> round_{0};
};

/// Two threads call try_lock() on a free lock at the same instant, round after
/// round (for 1.5 s, or until both win one round): returns in how many rounds
/// both got it, and in how many rounds neither did. The window of a
/// check-then-act try_lock is a few instructions wide, so it takes many rounds
/// with both threads on a core: the tests are tagged [timing] to run alone.
template <class Lock>
struct TryLockRace {
  int both_won = 0;
  int none_won = 0;
  int rounds = 0;
  bool finished = false;
};

template <class Lock>
TryLockRace<Lock> race_try_locks() {
  struct Shared {
    Lock lock;
    SpinMeeting meeting;
    std::atomic<int> winners{0};
    std::atomic<int> both_won{0};
    std::atomic<int> none_won{0};
    std::atomic<int> rounds{0};
  };
  auto s = std::make_shared<Shared>();
  auto log = std::make_shared<kata::FailureLog>();
  kata::Crew crew(log);
  const auto stop_at = kata::Clock::now() + 1500ms;
  const auto deadline = stop_at + 2s;
  for (int t = 0; t < 2; ++t) {
    crew.start([s, t, stop_at, deadline] {
      for (;;) {
        // Thread 0 decides for both whether another round starts.
        if (t == 0 && (kata::Clock::now() > stop_at || s->both_won.load() > 0)) s->rounds.store(-s->rounds.load() - 1);
        if (!s->meeting.arrive_and_wait(deadline) || s->rounds.load() < 0) return;
        const bool got = s->lock.try_lock();  // both at once, on a free lock
        if (got) s->winners.fetch_add(1);
        if (!s->meeting.arrive_and_wait(deadline)) return;
        if (got) s->lock.unlock();
        if (t == 0) {
          const int w = s->winners.exchange(0);
          if (w == 2) s->both_won.fetch_add(1);
          if (w == 0) s->none_won.fetch_add(1);
          s->rounds.fetch_add(1);
        }
        if (!s->meeting.arrive_and_wait(deadline)) return;
      }
    });
  }
  TryLockRace<Lock> result;
  result.finished = crew.all_done_within(5s) && log->empty();
  result.both_won = s->both_won.load();
  result.none_won = s->none_won.load();
  const int r = s->rounds.load();
  result.rounds = r < 0 ? -r - 1 : r;
  return result;
}

/// Races two try_locks on a free Lock (race_try_locks) and requires that the
/// race ran and never let both threads win.
template <class Lock>
void require_never_both_win() {
  const auto race = race_try_locks<Lock>();
  CAPTURE(race.rounds, race.both_won, race.none_won);
  REQUIRE(race.finished);
  REQUIRE(race.rounds > 0);
  REQUIRE(race.both_won == 0);
}

/// Hammers a Lock from 4 threads (hammer) and requires that the critical
/// section never held two threads at once and lost no update. Returns the
/// shared state for a test's own further checks.
template <class Lock>
std::shared_ptr<Guarded<Lock>> require_one_at_a_time() {
  auto g = std::make_shared<Guarded<Lock>>();
  const bool finished = hammer(g, 4, {20000, 1s});
  INFO(g->log.summary());
  REQUIRE(g->log.empty());
  REQUIRE(finished);
  CAPTURE(g->entries.load(), g->crowded.load(), g->counter);
  REQUIRE(g->crowded == 0);
  REQUIRE(g->counter == g->entries);
  return g;
}

}  // namespace

TEST_CASE("SpinLock try_lock succeeds when the lock is free and fails while it is held", "[12-lock][unit][req:2][req:5]") {
  auto lock = std::make_shared<SpinLock>();

  REQUIRE(lock->try_lock());  // free: taken at once
  const auto while_held = try_lock_elsewhere(lock);
  REQUIRE(while_held.has_value());
  CHECK_FALSE(*while_held);  // held by this thread: another must fail
  lock->unlock();

  const auto after_unlock = try_lock_elsewhere(lock);
  REQUIRE(after_unlock.has_value());
  REQUIRE(*after_unlock);  // free again

  // lock() after a failed try_lock still works, and the lock is Lockable.
  REQUIRE(kata::finishes_within(5s, [lock] {
    std::lock_guard guard(*lock);
  }));
  REQUIRE(kata::finishes_within(5s, [lock] {
    std::unique_lock held(*lock, std::try_to_lock);
    if (!held.owns_lock()) throw std::runtime_error("try_lock on a free SpinLock failed");
  }));
}

TEST_CASE("TicketLock try_lock succeeds when the lock is free and fails while it is held", "[12-lock][unit][req:2][req:4][req:5]") {
  auto lock = std::make_shared<TicketLock>();
  REQUIRE(lock->queue_length() == 0);

  REQUIRE(lock->try_lock());  // free: taken at once
  REQUIRE(lock->queue_length() == 1);
  const auto while_held = try_lock_elsewhere(lock);
  REQUIRE(while_held.has_value());
  CHECK_FALSE(*while_held);  // held by this thread: another must fail
  // A failed try_lock leaves no ticket behind: still just the holder.
  REQUIRE(lock->queue_length() == 1);
  lock->unlock();
  REQUIRE(lock->queue_length() == 0);

  const auto after_unlock = try_lock_elsewhere(lock);
  REQUIRE(after_unlock.has_value());
  REQUIRE(*after_unlock);

  // The queue still moves after the failed try: lock() returns at once.
  REQUIRE(kata::finishes_within(5s, [lock] {
    std::lock_guard guard(*lock);
  }));
  REQUIRE(lock->queue_length() == 0);
}

TEST_CASE("of two try_lock calls on a free SpinLock at the same instant exactly one succeeds", "[12-lock][stress][timing][req:1][req:2]") {
  // A try_lock that reads the flag and then stores it in a second step lets
  // both through when they look at the same moment: atomic, yet no lock.
  require_never_both_win<SpinLock>();
}

TEST_CASE("of two try_lock calls on a free TicketLock at the same instant exactly one succeeds", "[12-lock][stress][timing][req:1][req:2]") {
  // A try_lock that checks "no one queued" and then takes a ticket in a
  // second step lets both through when they look at the same moment.
  require_never_both_win<TicketLock>();
}

TEST_CASE("SpinLock lets only one thread into the critical section at a time", "[12-lock][stress][req:1]") {
  require_one_at_a_time<SpinLock>();
}

TEST_CASE("TicketLock lets only one thread into the critical section at a time", "[12-lock][stress][req:1][req:4]") {
  const auto g = require_one_at_a_time<TicketLock>();
  REQUIRE(g->lock.queue_length() == 0);  // every ticket served
}

TEST_CASE("TicketLock admits queued threads in the order they took their tickets", "[12-lock][unit][req:3][req:4]") {
  constexpr int kThreads = 8;
  constexpr int kRounds = 2;
  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    auto lock = std::make_shared<TicketLock>();
    auto order = std::make_shared<std::vector<int>>();  // guarded by *lock
    auto log = std::make_shared<kata::FailureLog>();
    kata::Crew crew(log);

    lock->lock();
    // Line the threads up one by one: thread i starts only once thread i-1
    // is seen queued (its ticket taken), so thread i holds ticket i + 1.
    bool lined_up = true;
    for (int i = 0; i < kThreads && lined_up; ++i) {
      crew.start([lock, order, i] {
        lock->lock();
        order->push_back(i);
        lock->unlock();
      });
      lined_up = kata::eventually(5s, [&] { return lock->queue_length() == static_cast<std::uint32_t>(i + 2); });
    }
    const std::uint32_t queued = lock->queue_length();
    lock->unlock();
    const bool all_done = crew.all_done_within(5s);
    CAPTURE(queued);
    INFO(log->summary());
    REQUIRE(log->empty());
    REQUIRE(lined_up);
    REQUIRE(all_done);

    std::vector<int> expected;
    for (int i = 0; i < kThreads; ++i) expected.push_back(i);
    REQUIRE(*order == expected);
    REQUIRE(lock->queue_length() == 0);
  }
}
