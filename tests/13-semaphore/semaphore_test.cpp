// Hidden tests of 13-semaphore: a counting semaphore and run_bounded(), judged
// by what is observable: how many waiters get through after a release, how long
// try_acquire_for waits, how many tasks were running at one instant (recorded
// intervals), and deadlines on every blocking call.
//
// Blocked waiters run on detached threads that hold the state they touch by
// shared_ptr, so a waiter a broken semaphore never wakes is abandoned safely
// when the test fails on its deadline.
#include <catch2/catch.hpp>

#include "semaphore.hpp"

#include <kata/test.hpp>
#include <kata/thread_test.hpp>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// Counts arrivals; the main thread waits for a number of them, with a deadline.
class Arrivals {
 public:
  void arrive() {
    {
      std::lock_guard guard(mutex_);
      ++count_;
    }
    arrived_cv_.notify_all();
  }
  bool wait_for(int n, std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return arrived_cv_.wait_for(lock, limit, [&] { return count_ >= n; });
  }
  int count() const {
    std::lock_guard guard(mutex_);
    return count_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable arrived_cv_;  // count_ grew
  int count_ = 0;
};

/// A semaphore and the waiters that got through it, shared with detached
/// threads; what those threads throw goes into `log`.
struct Waiters {
  explicit Waiters(std::ptrdiff_t permits) : sem(permits) {}
  Semaphore sem;
  Arrivals passed;
  kata::FailureLog log;
};

/// Starts n threads that each acquire() one permit and then arrive at `passed`.
void start_acquirers(const std::shared_ptr<Waiters>& w, int n) {
  for (int i = 0; i < n; ++i) {
    std::thread([w] {
      w->log.capture("acquire", [&] {
        w->sem.acquire();
        w->passed.arrive();
      });
    }).detach();
  }
}

/// Not to provoke a race: to reach the state under test, every waiter asleep
/// inside acquire(), where only a notification can wake it.
void let_waiters_fall_asleep() { std::this_thread::sleep_for(150ms); }

/// A semaphore with no permit and n acquirers asleep in acquire(): none has
/// got through, and none has thrown.
std::shared_ptr<Waiters> sleeping_acquirers(int n) {
  auto w = std::make_shared<Waiters>(0);
  start_acquirers(w, n);
  let_waiters_fall_asleep();
  INFO(w->log.summary());
  REQUIRE(w->log.empty());
  REQUIRE(w->passed.count() == 0);  // no permit: still waiting
  return w;
}

/// What run_bounded's tasks record; shared with them, so a run_bounded that
/// hangs past its deadline leaves its tasks nothing dangling to touch.
struct Probe {
  explicit Probe(std::size_t tasks) : runs(tasks) {}
  kata::IntervalRecorder recorder;
  std::vector<std::atomic<int>> runs;
};

struct FailedAt1 {};
struct FailedAt4 {};
struct FailedAt5 {};

}  // namespace

TEST_CASE("a semaphore hands out exactly its permits and try_acquire never blocks", "[13-semaphore][unit][req:1][req:2][req:4]") {
  REQUIRE_THROWS_AS(Semaphore(-1), std::invalid_argument);

  Semaphore sem(2);
  REQUIRE(sem.available() == 2);
  REQUIRE(sem.try_acquire());
  REQUIRE(sem.try_acquire());
  REQUIRE_FALSE(sem.try_acquire());  // none left: refuses at once
  REQUIRE(sem.available() == 0);

  sem.release();
  REQUIRE(sem.available() == 1);
  REQUIRE(sem.try_acquire());
  sem.release(2);
  REQUIRE(sem.available() == 2);
  sem.acquire();  // a free permit: no wait
  REQUIRE(sem.available() == 1);
  REQUIRE_THROWS_AS(sem.release(0), std::invalid_argument);
  REQUIRE(sem.available() == 1);
  REQUIRE_THROWS_AS(sem.release(-2), std::invalid_argument);  // n < 1, not only n == 0
  REQUIRE(sem.available() == 1);
}

TEST_CASE("acquire blocks while no permit is free and returns once one is released", "[13-semaphore][unit][req:3]") {
  auto w = sleeping_acquirers(1);

  w->sem.release();  // from another thread than the acquirer: no owner
  REQUIRE(w->passed.wait_for(1, 2s));
  REQUIRE(w->sem.available() == 0);
}

TEST_CASE("blocked acquirers sleep until a release instead of waking up to look", "[13-semaphore][unit][timing][req:3]") {
  auto w = sleeping_acquirers(4);

  // A waiter that polls the count with a short timed wait uses little CPU,
  // but each of its wake-ups is a context switch: 4 waiters blocked until a
  // release have none, 4 waking every 1 ms about 1200 in 300 ms.
  const long before = kata::context_switches();
  std::this_thread::sleep_for(300ms);  // no permit released; this thread sleeps (1 or 2 switches)
  const long switches = kata::context_switches() - before;
  w->sem.release(4);
  REQUIRE(w->passed.wait_for(4, 2s));
  CAPTURE(switches);
  REQUIRE(switches < 60);
}

TEST_CASE("one released permit lets exactly one of several blocked waiters through", "[13-semaphore][unit][req:3]") {
  auto w = sleeping_acquirers(4);

  w->sem.release(1);
  REQUIRE(w->passed.wait_for(1, 2s));
  // Every waiter woken with it must find the permit gone and sleep again.
  // 200 ms is a generous window for a wrongly admitted one to show up.
  std::this_thread::sleep_for(200ms);
  const int through = w->passed.count();
  CAPTURE(through);
  REQUIRE(through == 1);
  REQUIRE(w->sem.available() == 0);

  w->sem.release(3);
  REQUIRE(w->passed.wait_for(4, 2s));
  REQUIRE(w->sem.available() == 0);
}

TEST_CASE("releasing n permits wakes n blocked waiters", "[13-semaphore][unit][req:4]") {
  auto w = sleeping_acquirers(3);

  // One call, three permits: all three waiters must get through. Waking one
  // leaves two asleep beside free permits (a lost wake-up).
  w->sem.release(3);
  const bool all_through = w->passed.wait_for(3, 2s);
  CAPTURE(w->passed.count(), w->sem.available());
  REQUIRE(all_through);
  REQUIRE(w->sem.available() == 0);
}

TEST_CASE("many single releases racing with acquirers wake every waiter", "[13-semaphore][stress][req:4]") {
  // Waiters and releasers interleave freely: every permit released must end
  // up taken, so every acquirer gets through within the deadline.
  constexpr int kRounds = 16;
  constexpr int kWaiters = 4;
  auto w = std::make_shared<Waiters>(0);
  start_acquirers(w, kRounds * kWaiters);
  std::vector<std::thread> releasers;
  for (int t = 0; t < kWaiters; ++t) {
    releasers.emplace_back([w, t] {
      auto gen = kata::rng(static_cast<std::uint64_t>(t));
      w->log.capture("release", [&] {
        for (int i = 0; i < kRounds; ++i) {
          w->sem.release();
          kata::random_pause(gen);
        }
      });
    });
  }
  for (auto& r : releasers) r.join();
  INFO(w->log.summary());
  REQUIRE(w->log.empty());
  const bool all_through = w->passed.wait_for(kRounds * kWaiters, 5s);
  CAPTURE(w->passed.count(), w->sem.available());
  REQUIRE(all_through);
  REQUIRE(w->sem.available() == 0);
}

TEST_CASE("try_acquire_for gives up after about its timeout", "[13-semaphore][unit][req:5]") {
  auto w = std::make_shared<Waiters>(0);
  const auto start = kata::Clock::now();
  auto got = kata::value_within(3s, [w] { return w->sem.try_acquire_for(300ms); });
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(kata::Clock::now() - start);
  CAPTURE(waited.count());
  REQUIRE(got.has_value());  // else it ignored the timeout and blocked
  REQUIRE_FALSE(*got);
  // It waits the timeout out (a condition variable's wait_for never returns
  // early by the clock), but not much longer.
  REQUIRE(waited >= 280ms);
  REQUIRE(waited < 2s);
  REQUIRE(w->sem.available() == 0);
}

TEST_CASE("try_acquire_for never waits past its timeout when it is woken again and again without a permit", "[13-semaphore][stress][timing][req:3][req:5]") {
  // 32 threads wait in try_acquire_for(300 ms) while release(2) comes every
  // 150 ms: each release wakes the waiters (all of them, with notify_all), two
  // win, and the others find no permit and wait on. Counted from the call, a
  // loser's 300 ms run out after two or three such wake-ups. Restarted after
  // every wake-up, they never run out while the releases go on (2.5 s), and
  // with at most 2 winners a round, most waiters are still waiting then.
  constexpr int kWaiters = 32;
  static constexpr auto kTimeout = 300ms;
  struct Shared {
    Semaphore sem{0};
    kata::Countdown started{kWaiters};
    kata::Countdown finished{kWaiters};
    std::mutex mutex;
    std::vector<std::pair<bool, std::chrono::milliseconds>> outcomes;  // guarded by mutex
    kata::FailureLog log;
  };
  auto s = std::make_shared<Shared>();
  for (int i = 0; i < kWaiters; ++i) {
    std::thread([s] {
      s->started.count_down();
      s->log.capture("waiter", [&] {
        const auto start = kata::Clock::now();
        const bool got = s->sem.try_acquire_for(kTimeout);
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(kata::Clock::now() - start);
        std::lock_guard guard(s->mutex);
        s->outcomes.emplace_back(got, waited);
      });
      s->finished.count_down();
    }).detach();
  }
  REQUIRE(s->started.wait_for(5s));
  std::this_thread::sleep_for(50ms);  // the waiters asleep in try_acquire_for (the state under test)

  // Releases every 150 ms until every waiter has returned, or for 2.5 s.
  int released = 0;
  const auto stop_at = kata::Clock::now() + 2500ms;
  while (!s->finished.wait_for(150ms) && kata::Clock::now() < stop_at) {
    s->sem.release(2);
    released += 2;
  }
  const bool all_returned = s->finished.wait_for(3s);
  INFO(s->log.summary());
  REQUIRE(all_returned);
  REQUIRE(s->log.empty());
  std::lock_guard guard(s->mutex);
  int won = 0;
  std::chrono::milliseconds longest{0};
  for (const auto& [got, waited] : s->outcomes) {
    if (got) ++won;
    longest = std::max(longest, waited);
  }
  CAPTURE(released, won, longest.count(), s->sem.available());
  // Won or not, no call lasted much past its 300 ms.
  REQUIRE(longest < 2s);
  // And no waiter took a permit that another had taken: if, not while.
  REQUIRE(won <= released);
  REQUIRE(s->sem.available() == released - won);
}

TEST_CASE("try_acquire_for takes a permit that is free or released while it waits", "[13-semaphore][unit][req:5]") {
  auto w = std::make_shared<Waiters>(1);
  auto at_once = kata::value_within(2s, [w] { return w->sem.try_acquire_for(3s); });
  REQUIRE(at_once.has_value());
  REQUIRE(*at_once);
  REQUIRE(w->sem.available() == 0);

  // Now none is free; another thread releases one 100 ms into the wait.
  std::thread([w] {
    std::this_thread::sleep_for(100ms);
    w->log.capture("release", [&] { w->sem.release(); });
  }).detach();
  const auto start = kata::Clock::now();
  auto later = kata::value_within(5s, [w] { return w->sem.try_acquire_for(3s); });
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(kata::Clock::now() - start);
  CAPTURE(waited.count());
  INFO(w->log.summary());
  REQUIRE(w->log.empty());
  REQUIRE(later.has_value());
  REQUIRE(*later);
  REQUIRE(waited < 2s);  // woken by the release, not by the 3 s timeout
  REQUIRE(w->sem.available() == 0);
}

TEST_CASE("run_bounded never runs more than k tasks at once and does run k at once", "[13-semaphore][unit][req:6]") {
  REQUIRE_THROWS_AS(run_bounded({}, 0), std::invalid_argument);

  constexpr std::size_t kTasks = 12;
  constexpr int kBound = 3;
  auto probe = std::make_shared<Probe>(kTasks);
  auto first_k = std::make_shared<kata::Meeting>(kBound);
  std::vector<std::function<void()>> tasks;
  for (std::size_t i = 0; i < kTasks; ++i) {
    tasks.push_back([probe, first_k, i] {
      auto scope = probe->recorder.record("task " + std::to_string(i));
      ++probe->runs[i];
      // The first k tasks wait here for each other (1 s at most), which
      // only works if k run at once; later ones pass at once. Then each
      // works for a while.
      first_k->arrive_and_wait(1s);
      std::this_thread::sleep_for(20ms);
    });
  }
  REQUIRE(kata::finishes_within(8s, [tasks] { run_bounded(tasks, kBound); }));

  for (std::size_t i = 0; i < kTasks; ++i) {
    CAPTURE(i);
    REQUIRE(probe->runs[i] == 1);
  }
  const int most = probe->recorder.max_overlap();
  CAPTURE(most);
  REQUIRE(most <= kBound);  // the bound holds
  REQUIRE(most == kBound);  // and is used: not one task at a time
}

TEST_CASE("a task that throws gives its permit back and run_bounded rethrows the first failure", "[13-semaphore][unit][req:7]") {
  constexpr std::size_t kTasks = 8;
  auto probe = std::make_shared<Probe>(kTasks);
  std::vector<std::function<void()>> tasks;
  for (std::size_t i = 0; i < kTasks; ++i) {
    tasks.push_back([probe, i] {
      ++probe->runs[i];
      // Tag types, told apart by type alone: the catching thread never reads
      // an exception object that another thread may free.
      if (i == 1) {
        std::this_thread::sleep_for(30ms);  // fails last, yet comes first in input order
        throw FailedAt1{};
      }
      if (i == 4) throw FailedAt4{};
      if (i == 5) throw FailedAt5{};
    });
  }
  // Three failures with k = 2: a failing task that kept its permit would
  // leave none for the rest, and run_bounded would wait forever.
  auto outcome = kata::value_within(5s, [tasks]() -> std::string {
    try {
      run_bounded(tasks, 2);
      return "run_bounded returned";
    } catch (const FailedAt1&) {
      return "FailedAt1";
    } catch (const FailedAt4&) {
      return "FailedAt4";
    } catch (const FailedAt5&) {
      return "FailedAt5";
    }
  });
  REQUIRE(outcome.has_value());
  REQUIRE(*outcome == "FailedAt1");
  for (std::size_t i = 0; i < kTasks; ++i) {
    CAPTURE(i);
    REQUIRE(probe->runs[i] == 1);  // the failures stopped no other task
  }
}

TEST_CASE("no permit is lost or duplicated when threads acquire and release at once", "[13-semaphore][stress][req:4][req:8]") {
  constexpr int kThreads = 4;
  constexpr int kPermits = 2;
  Semaphore sem(kPermits);
  kata::IntervalRecorder recorder;
  kata::FailureLog log;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto gen = kata::rng(static_cast<std::uint64_t>(t) + 10);
      start.arrive_and_wait();
      log.capture("worker", [&] {
        kata::stress({1500, 1s}, [&](int i) {
          // Only bounded waits here, so a broken semaphore cannot hang the join.
          const bool got = (i % 3 == 0) ? sem.try_acquire() : sem.try_acquire_for(2s);
          if (!got) {
            KATA_CHECK(log, i % 3 == 0);  // try_acquire may fail; a 2 s wait may not
            return;
          }
          {
            auto scope = recorder.record("holding");
            kata::random_pause(gen);
          }
          sem.release();
        });
      });
    });
  }
  for (auto& t : threads) t.join();
  INFO(log.summary());
  REQUIRE(log.empty());
  REQUIRE(recorder.max_overlap() <= kPermits);
  REQUIRE(sem.available() == kPermits);
}
