// Hidden tests of 20-thread-pool: what a ThreadPool must do, judged by what is
// observable: results and exceptions in futures, which threads ran the tasks,
// how many ran at once, CPU time while idle, and deadlines on every wait.
//
// Two conventions keep a broken pool from hanging the test binary:
//  - the pool lives in a TestPool, whose destructor destroys it under a
//    deadline (a ThreadPool destructor is a blocking wait too);
//  - calls that block (shutdown, map) run through kata::finishes_within or
//    value_within, with lambdas that hold the pool by shared_ptr, so a thread
//    abandoned on a timeout keeps the pool alive instead of dangling.
// What tasks touch (counters, recorders) is declared before the TestPool, so
// the pool is destroyed, and its tasks are finished, before those go away.
#include <catch2/catch.hpp>

#include "thread_pool.hpp"

#include <kata/test.hpp>
#include <kata/thread_test.hpp>

#include <atomic>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// Owns the pool under test; destroying it is bounded by a deadline. If the
/// pool's destructor hangs, its thread is abandoned (and the pool leaked) and,
/// unless the test is already failing, the test fails here.
class TestPool {
 public:
  explicit TestPool(std::size_t threads) : pool_(std::make_shared<ThreadPool>(threads)) {}
  ~TestPool() {
    if (!destroy_within(5s) && std::uncaught_exceptions() == 0) {
      FAIL_CHECK("the ThreadPool destructor did not return within 5 s");
    }
  }
  TestPool(const TestPool&) = delete;
  TestPool& operator=(const TestPool&) = delete;

  ThreadPool* operator->() const { return pool_.get(); }
  ThreadPool& operator*() const { return *pool_; }
  /// For lambdas that may outlive the test on a timeout.
  std::shared_ptr<ThreadPool> shared() const { return pool_; }

  /// Drops the pool (running ~ThreadPool) on another thread; false if that
  /// did not return within `limit`.
  bool destroy_within(std::chrono::milliseconds limit) {
    if (!pool_) return true;
    return kata::finishes_within(limit, [pool = std::move(pool_)]() mutable { pool.reset(); });
  }

 private:
  std::shared_ptr<ThreadPool> pool_;
};

/// A pool of n workers and what n tasks need to show that it runs n at once.
/// The recorder, countdown and gate are declared before the pool, so the pool
/// is destroyed, and its tasks are finished, before they go away.
struct MeetingPool {
  explicit MeetingPool(int threads) : n(threads), arrivals{threads}, pool(static_cast<std::size_t>(threads)) {}

  /// Submits n tasks that each record their interval and thread, count down
  /// `arrivals`, and wait at a gate that the main thread opens only once all
  /// n have arrived. Returns whether all n arrived, i.e. whether the pool ran
  /// n tasks at once. The gate is opened in every case, so no task is left
  /// blocked. Call it once: the gate opens once.
  bool run_n_at_once() {
    std::vector<std::future<void>> done;
    for (int i = 0; i < n; ++i) {
      done.push_back(pool->submit([this] {
        auto scope = recorder.record("meet");
        arrivals.count_down();
        gate.pass();
      }));
    }
    const bool all_met = arrivals.wait_for(5s);
    gate.open();
    for (auto& f : done) {
      if (!kata::ready_within(f, 10s)) return false;
    }
    return all_met;
  }

  const int n;
  kata::IntervalRecorder recorder;
  kata::Countdown arrivals;
  kata::Gate gate;
  TestPool pool;
};

/// A task that holds a worker: it reports that it has started, then waits at
/// `gate` until the main thread opens it, and returns 1. While it waits, the
/// tasks queued behind it (on a one-worker pool) cannot run.
struct HeldWorker {
  std::future<void> started;
  std::future<int> finished;
};
HeldWorker hold_a_worker(TestPool& pool, kata::Gate& gate) {
  auto started = std::make_shared<std::promise<void>>();
  HeldWorker held;
  held.started = started->get_future();
  held.finished = pool->submit([started, &gate] {
    started->set_value();
    gate.pass();
    return 1;
  });
  return held;
}

/// How a test hands the pool a task: submit (the task's future) or post
/// (none). Tests of what both must do run once with each.
struct Enqueue {
  std::string name;
  std::optional<std::future<void>> (*enqueue)(ThreadPool&, std::function<void()>);
};
const Enqueue kSubmit{"submit", [](ThreadPool& pool, std::function<void()> task) -> std::optional<std::future<void>> {
                        return pool.submit(std::move(task));
                      }};
const Enqueue kPost{"post", [](ThreadPool& pool, std::function<void()> task) -> std::optional<std::future<void>> {
                      pool.post(std::move(task));
                      return std::nullopt;
                    }};

}  // namespace

TEST_CASE("size reports the number of workers and a pool of zero threads is refused", "[20-thread-pool][unit][req:1]") {
  REQUIRE_THROWS_AS(ThreadPool(0), std::invalid_argument);
  TestPool pool(3);
  REQUIRE(pool->size() == 3);
}

TEST_CASE("submit returns a future that holds the task's result", "[20-thread-pool][unit][req:3]") {
  std::atomic<bool> void_task_ran{false};
  TestPool pool(2);

  auto answer = pool->submit([] { return 6 * 7; });
  auto text = pool->submit([] { return std::string("pooled"); });
  auto nothing = pool->submit([&void_task_ran] { void_task_ran = true; });
  // The job queue must hold move-only callables (here, one owning a unique_ptr).
  auto owned = pool->submit([p = std::make_unique<int>(5)] { return *p + 1; });

  REQUIRE(kata::ready_within(answer, 5s));
  REQUIRE(answer.get() == 42);
  REQUIRE(kata::ready_within(text, 5s));
  REQUIRE(text.get() == "pooled");
  REQUIRE(kata::ready_within(nothing, 5s));
  nothing.get();
  REQUIRE(void_task_ran);
  REQUIRE(kata::ready_within(owned, 5s));
  REQUIRE(owned.get() == 6);
}

TEST_CASE("tasks run on exactly N worker threads and N of them run at once", "[20-thread-pool][unit][req:1]") {
  constexpr int kThreads = 3;
  MeetingPool met(kThreads);
  auto& recorder = met.recorder;
  auto& pool = met.pool;

  // N tasks that can only finish together prove N workers run at once.
  REQUIRE(met.run_n_at_once());
  REQUIRE(recorder.max_overlap() == kThreads);

  // Many more tasks reuse the same N threads: no thread per task.
  std::vector<std::future<void>> quick;
  for (int i = 0; i < 60; ++i) quick.push_back(pool->submit([&recorder] { auto scope = recorder.record("quick"); }));
  for (auto& f : quick) REQUIRE(kata::ready_within(f, 5s));
  REQUIRE(recorder.thread_count() == kThreads);
  for (const auto& interval : recorder.intervals()) REQUIRE(interval.thread != std::this_thread::get_id());
}

TEST_CASE("an idle pool burns almost no CPU", "[20-thread-pool][unit][timing][req:2]") {
  MeetingPool met(4);
  // Every worker has started and run a task; now they have nothing to do.
  REQUIRE(met.run_n_at_once());

  kata::CpuMeter meter;
  std::this_thread::sleep_for(300ms);  // the pool idles; this thread sleeps
  const double load = meter.load();
  CAPTURE(load);
  // Blocked workers use almost nothing (measured: under 0.01); one worker
  // polling the queue (even with yield) uses about a core, a load near 1.0,
  // and still about 0.25 when the machine is busy with other work.
  REQUIRE(load < 0.05);
}

TEST_CASE("idle workers sleep until there is work instead of waking up to look", "[20-thread-pool][unit][timing][req:2]") {
  MeetingPool met(4);
  REQUIRE(met.run_n_at_once());
  std::this_thread::sleep_for(50ms);  // the workers go back to waiting

  // CPU time cannot see a worker that polls with a short timed wait (it
  // sleeps most of the time), but its wake-ups show as context switches: a
  // worker blocked on the condition variable is switched to 0 times while
  // the pool idles, one waking every 1 ms about 500 times in 500 ms.
  const long before = kata::context_switches();
  std::this_thread::sleep_for(500ms);  // the pool idles; this thread sleeps (1 or 2 switches)
  const long switches = kata::context_switches() - before;
  CAPTURE(switches);
  REQUIRE(switches < 60);
}

TEST_CASE("an exception thrown in a task arrives through its future and the worker survives", "[20-thread-pool][unit][req:3]") {
  TestPool pool(1);  // one worker: it must survive every throw to run the last task

  auto failed = pool->submit([]() -> int { throw std::domain_error("boom"); });
  auto odd = pool->submit([] { throw 42; });
  auto after = pool->submit([] { return 7; });

  // The last task first: once it has run, the worker has let go of the
  // earlier jobs, so this thread owns their exceptions alone. (TSan cannot
  // see libstdc++'s uninstrumented exception_ptr reference count, and would
  // report a false race if a worker freed an exception this thread had read.)
  REQUIRE(kata::ready_within(after, 5s));
  REQUIRE(after.get() == 7);
  REQUIRE(kata::ready_within(failed, 5s));
  try {
    failed.get();
    FAIL("the future of a throwing task returned a value");
  } catch (const std::domain_error& e) {
    REQUIRE(std::string(e.what()) == "boom");
  } catch (const std::future_error& e) {
    FAIL("the task's exception never reached its future; get() threw future_error: " << e.what());
  }
  REQUIRE(kata::ready_within(odd, 5s));
  REQUIRE_THROWS_AS(odd.get(), int);
}

TEST_CASE("map returns the results in input order", "[20-thread-pool][unit][req:4]") {
  TestPool pool(4);
  std::vector<int> inputs;
  for (int i = 0; i < 16; ++i) inputs.push_back(i);

  // Early inputs take longest, so finishing order is roughly the reverse.
  auto squares = kata::value_within(5s, [p = pool.shared(), inputs] {
    return p->map(
        [](int x) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2 * (16 - x)));
          return x * x;
        },
        inputs);
  });
  REQUIRE(squares.has_value());
  std::vector<int> expected;
  for (int i : inputs) expected.push_back(i * i);
  REQUIRE(*squares == expected);
}

TEST_CASE("map runs its calls at the same time, not one after another", "[20-thread-pool][unit][req:4]") {
  constexpr int kThreads = 4;
  auto met = std::make_shared<kata::Meeting>(kThreads);
  auto recorder = std::make_shared<kata::IntervalRecorder>();
  TestPool pool(kThreads);

  // Each call waits (1 s at most) until all 4 calls are running: only a map
  // that has every call in flight at once gets them all to meet. A map that
  // submits one call and waits for it before the next gives right results,
  // one at a time.
  auto results = kata::value_within(8s, [p = pool.shared(), met, recorder] {
    return p->map(
        [met, recorder](int x) {
          auto scope = recorder->record("call " + std::to_string(x));
          met->arrive_and_wait(1s);
          return x + 100;
        },
        std::vector<int>{0, 1, 2, 3});
  });
  REQUIRE(results.has_value());
  REQUIRE(*results == std::vector<int>{100, 101, 102, 103});
  CAPTURE(recorder->max_overlap());
  REQUIRE(met->all_met());
  REQUIRE(recorder->max_overlap() == kThreads);
}

TEST_CASE("map rethrows the exception of the first failing input", "[20-thread-pool][unit][req:4]") {
  TestPool pool(4);
  const std::vector<int> inputs{0, 1, 2, 3, 4, 5, 6, 7};

  // Input 6 fails at once; input 2 fails later but comes first. The
  // exceptions are empty tag types, told apart by type alone: the catching
  // thread never reads an exception object a worker may free (see above).
  struct FailedAt2 {};
  struct FailedAt6 {};
  auto outcome = kata::value_within(5s, [p = pool.shared(), inputs]() -> std::string {
    try {
      p->map(
          [](int x) {
            if (x == 2) {
              std::this_thread::sleep_for(50ms);
              throw FailedAt2{};
            }
            if (x == 6) throw FailedAt6{};
            return x;
          },
          inputs);
      return "map returned";
    } catch (const FailedAt2&) {
      return "FailedAt2";
    } catch (const FailedAt6&) {
      return "FailedAt6";
    }
  });
  REQUIRE(outcome.has_value());
  REQUIRE(*outcome == "FailedAt2");
}

TEST_CASE("shutdown with wait runs every queued task before it returns", "[20-thread-pool][unit][req:5]") {
  std::atomic<int> ran{0};
  TestPool pool(2);
  std::vector<std::future<void>> done;
  for (int i = 0; i < 20; ++i) {
    done.push_back(pool->submit([&ran] {
      std::this_thread::sleep_for(5ms);
      ++ran;
    }));
  }

  REQUIRE(kata::finishes_within(5s, [p = pool.shared()] { p->shutdown(true); }));
  REQUIRE(ran == 20);
  for (auto& f : done) REQUIRE(kata::ready_within(f, 0s));
}

TEST_CASE("two threads calling shutdown with wait at once both return once the workers are joined", "[20-thread-pool][unit][req:5]") {
  auto gate = std::make_shared<kata::Gate>();
  auto ran = std::make_shared<std::atomic<int>>(0);
  auto log = std::make_shared<kata::FailureLog>();
  TestPool pool(2);
  for (int i = 0; i < 2; ++i) {
    (void)pool->submit([gate, ran] {
      gate->pass();
      ++*ran;
    });
  }
  {
    kata::Crew crew(log, 5s);
    // Both callers reach the joins while the workers are still held by their
    // tasks, so they wait on the same threads at once: they must take turns
    // (join() on one std::thread from two threads is an error), and neither
    // may return before the tasks have run.
    for (int i = 0; i < 2; ++i) crew.start([p = pool.shared()] { p->shutdown(true); });
    std::this_thread::sleep_for(100ms);
    const bool waited = !crew.done(0) && !crew.done(1);
    gate->open();
    const bool returned = crew.all_done_within(5s);
    INFO(log->summary());
    REQUIRE(waited);
    REQUIRE(returned);
    REQUIRE(log->empty());
  }
  REQUIRE(*ran == 2);
}

TEST_CASE("shutdown without wait returns at once and the queued tasks still run", "[20-thread-pool][unit][req:5]") {
  kata::Gate gate;
  TestPool pool(1);

  auto blocker = hold_a_worker(pool, gate);
  std::vector<std::future<int>> queued;
  for (int i = 0; i < 5; ++i) queued.push_back(pool->submit([i] { return i; }));
  const bool blocker_started = kata::ready_within(blocker.started, 5s);

  // The only worker is busy: a shutdown that waited could not return yet.
  const bool returned = kata::finishes_within(2s, [p = pool.shared()] { p->shutdown(false); });
  gate.open();
  REQUIRE(blocker_started);
  REQUIRE(returned);
  REQUIRE(kata::ready_within(blocker.finished, 5s));
  for (int i = 0; i < 5; ++i) {
    REQUIRE(kata::ready_within(queued[i], 5s));
    REQUIRE(queued[i].get() == i);
  }
}

TEST_CASE("shutdown with cancel_pending drops the queued tasks, and a task enqueued later is refused",
          "[20-thread-pool][unit][req:6][req:7][req:10]") {
  const Enqueue how = GENERATE(values({kSubmit, kPost}));
  CAPTURE(how.name);
  std::atomic<int> ran{0};
  kata::Gate gate;
  TestPool pool(1);

  // The running task holds the only worker (submitted: a post that wrongly
  // ran it on this thread would block the test itself).
  auto running = hold_a_worker(pool, gate);
  std::vector<std::future<void>> queued;  // submit's futures; post gives none
  for (int i = 0; i < 10; ++i) {
    if (auto future = how.enqueue(*pool, [&ran] { ++ran; })) queued.push_back(std::move(*future));
  }
  const bool running_started = kata::ready_within(running.started, 5s);

  const bool returned = kata::finishes_within(2s, [p = pool.shared()] { p->shutdown(false, true); });
  // While the worker is still held at the gate, the queued futures must
  // already be answered: by shutdown, not by running.
  bool all_answered = true;
  for (auto& f : queued) all_answered = kata::ready_within(f, 2s) && all_answered;
  bool refused = false;
  try {
    how.enqueue(*pool, [&ran] { ++ran; });
  } catch (const PoolShutDown&) {
    refused = true;
  }
  gate.open();

  REQUIRE(running_started);
  REQUIRE(returned);
  REQUIRE(all_answered);
  for (auto& f : queued) REQUIRE_THROWS_AS(f.get(), TaskCancelled);
  REQUIRE(refused);
  // The task already running is not cancelled: it finishes.
  REQUIRE(kata::ready_within(running.finished, 5s));
  REQUIRE(running.finished.get() == 1);
  REQUIRE(pool.destroy_within(5s));
  REQUIRE(ran == 0);
}

TEST_CASE("a task submitted or posted after shutdown is refused with PoolShutDown", "[20-thread-pool][unit][req:7][req:10]") {
  const Enqueue how = GENERATE(values({kSubmit, kPost}));
  CAPTURE(how.name);
  std::atomic<int> ran{0};
  TestPool pool(2);
  auto before = pool->submit([] { return 1; });
  REQUIRE(kata::ready_within(before, 5s));

  // Catch2 runs the case once per section: short deadlines keep every run
  // of a hanging pool within the per-case timeout.
  SECTION("after shutdown with wait") {
    REQUIRE(kata::finishes_within(2s, [p = pool.shared()] { p->shutdown(true); }));
  }
  SECTION("after shutdown without wait") {
    REQUIRE(kata::finishes_within(2s, [p = pool.shared()] { p->shutdown(false); }));
  }

  REQUIRE_THROWS_AS(how.enqueue(*pool, [&ran] { ++ran; }), PoolShutDown);
  REQUIRE(ran == 0);
  // map submits too, so it refuses the same way (and must not wait forever
  // on a task nobody will run).
  auto outcome = kata::value_within(2s, [p = pool.shared()]() -> std::string {
    try {
      p->map([](int x) { return x; }, std::vector<int>{1, 2, 3});
      return "map returned";
    } catch (const PoolShutDown&) {
      return "PoolShutDown";
    }
  });
  REQUIRE(outcome.has_value());
  REQUIRE(*outcome == "PoolShutDown");
  REQUIRE(before.get() == 1);
}

TEST_CASE("the destructor of an idle pool wakes its workers and returns promptly", "[20-thread-pool][unit][req:8]") {
  MeetingPool met(4);
  REQUIRE(met.run_n_at_once());
  // Not to provoke a race: to reach the state under test, every worker
  // asleep waiting for work, which only a notification can end.
  std::this_thread::sleep_for(100ms);

  REQUIRE(met.pool.destroy_within(5s));
}

TEST_CASE("the destructor runs the queued tasks and returns within a deadline", "[20-thread-pool][unit][req:8]") {
  std::atomic<int> ran{0};
  TestPool pool(2);
  for (int i = 0; i < 40; ++i) {
    (void)pool->submit([&ran] {
      std::this_thread::sleep_for(2ms);
      ++ran;
    });
  }

  REQUIRE(pool.destroy_within(5s));
  REQUIRE(ran == 40);
}

TEST_CASE("no task is lost when many threads submit at once", "[20-thread-pool][stress][req:9]") {
  constexpr int kSubmitters = 4;
  std::atomic<long> ran{0};
  kata::FailureLog log;
  TestPool pool(3);

  std::vector<std::vector<std::future<long>>> futures(kSubmitters);
  std::vector<int> submitted(kSubmitters, 0);
  std::latch start(kSubmitters);
  std::vector<std::thread> submitters;
  for (int t = 0; t < kSubmitters; ++t) {
    submitters.emplace_back([&, t] {
      auto gen = kata::rng(static_cast<std::uint64_t>(t));
      start.arrive_and_wait();
      log.capture("submitter", [&] {
        submitted[t] = kata::stress({500, 1s}, [&](int i) {
          const long value = t * 100000L + i;
          futures[t].push_back(pool->submit([&ran, value, seed = gen()] {
            auto task_gen = kata::rng(seed);
            kata::random_pause(task_gen);
            ++ran;
            return value;
          }));
          kata::random_pause(gen);
        });
      });
    });
  }
  for (auto& s : submitters) s.join();
  INFO(log.summary());
  REQUIRE(log.empty());

  long total = 0;
  for (int t = 0; t < kSubmitters; ++t) {
    CAPTURE(t);
    REQUIRE(futures[t].size() == static_cast<std::size_t>(submitted[t]));
    for (int i = 0; i < submitted[t]; ++i) {
      REQUIRE(kata::ready_within(futures[t][i], 5s));
      REQUIRE(futures[t][i].get() == t * 100000L + i);
    }
    total += submitted[t];
  }
  REQUIRE(ran == total);
}

TEST_CASE("every task accepted while shutdown races with submitters still runs", "[20-thread-pool][stress][req:7][req:9]") {
  constexpr int kSubmitters = 3;
  std::atomic<long> ran{0};
  kata::FailureLog log;
  kata::Countdown warmed_up{kSubmitters};
  TestPool pool(2);

  std::vector<std::vector<std::future<int>>> futures(kSubmitters);
  std::vector<int> refused(kSubmitters, 0);  // not vector<bool>: its bits share words
  std::latch start(kSubmitters);
  std::vector<std::thread> submitters;
  for (int t = 0; t < kSubmitters; ++t) {
    submitters.emplace_back([&, t] {
      auto gen = kata::rng(static_cast<std::uint64_t>(t) + 100);
      start.arrive_and_wait();
      const auto deadline = kata::Clock::now() + 3s;
      for (int i = 0; i < 200000 && kata::Clock::now() < deadline; ++i) {
        if (i == 50) warmed_up.count_down();
        try {
          futures[t].push_back(pool->submit([&ran, i] {
            ++ran;
            return i;
          }));
        } catch (const PoolShutDown&) {
          refused[t] = 1;
          return;
        } catch (const std::exception& e) {
          log.add(std::string("submit threw ") + e.what());
          return;
        }
        kata::random_pause(gen);
      }
    });
  }
  // Shut down while every submitter is still submitting.
  const bool warm = warmed_up.wait_for(5s);
  const bool shut = kata::finishes_within(5s, [p = pool.shared()] { p->shutdown(true); });
  for (auto& s : submitters) s.join();
  REQUIRE(warm);
  REQUIRE(shut);
  INFO(log.summary());
  REQUIRE(log.empty());

  // shutdown(wait) has returned: every accepted task has run, and every
  // submitter was refused once the pool had shut down.
  long accepted = 0;
  for (int t = 0; t < kSubmitters; ++t) {
    CAPTURE(t);
    REQUIRE(refused[t] == 1);
    for (std::size_t i = 0; i < futures[t].size(); ++i) {
      REQUIRE(kata::ready_within(futures[t][i], 1s));
      REQUIRE(futures[t][i].get() == static_cast<int>(i));
    }
    accepted += static_cast<long>(futures[t].size());
  }
  REQUIRE(ran == accepted);
}

TEST_CASE("a task enqueued as shutdown begins is refused or run, never left behind", "[20-thread-pool][stress][req:7][req:10]") {
  // One enqueue against one shutdown, on a fresh pool each round. Checking
  // the flag and queueing the task must be one step under the lock: with a
  // gap between them, a shutdown there lets the last worker leave before the
  // task is queued, and the task is accepted but never runs. Many short
  // rounds give the scheduler (and the explore profile) many tries at that gap.
  const Enqueue how = GENERATE(values({kSubmit, kPost}));
  CAPTURE(how.name);
  for (int round = 0; round < 100; ++round) {
    CAPTURE(round);
    std::atomic<int> ran{0};
    std::atomic<int> accepted{0};
    std::string unexpected;
    TestPool pool(1);
    std::thread enqueuer([&] {
      try {
        how.enqueue(*pool, [&ran] { ++ran; });
        accepted = 1;
      } catch (const PoolShutDown&) {
      } catch (const std::exception& e) {
        unexpected = e.what();
      }
    });
    const bool shut = kata::finishes_within(5s, [p = pool.shared()] { p->shutdown(true); });
    enqueuer.join();
    REQUIRE(unexpected.empty());
    REQUIRE(shut);
    // shutdown(true) has returned: a task that was accepted has run.
    CAPTURE(accepted.load());
    REQUIRE(ran == accepted);
  }
}

TEST_CASE("post runs a task on a worker without a future, and a throwing posted task does not stop the worker", "[20-thread-pool][unit][req:10]") {
  std::promise<std::thread::id> first;
  std::promise<int> last;
  auto ran_on = first.get_future();
  auto after_throw = last.get_future();
  TestPool pool(1);  // one worker: it must survive the throw to run the last task

  pool->post([&first] { first.set_value(std::this_thread::get_id()); });
  pool->post([] { throw std::runtime_error("dropped: a posted task has no future"); });
  pool->post([&last] { last.set_value(7); });

  REQUIRE(kata::ready_within(ran_on, 5s));
  // On a worker, not on the caller: post queues, it does not run f now.
  REQUIRE(ran_on.get() != std::this_thread::get_id());
  REQUIRE(kata::ready_within(after_throw, 5s));
  REQUIRE(after_throw.get() == 7);
}

TEST_CASE("posted tasks run in order on one worker, and shutdown with wait runs the queued ones", "[20-thread-pool][unit][req:10]") {
  std::vector<int> order;  // touched by the only worker; read after it is joined
  TestPool pool(1);
  for (int i = 0; i < 100; ++i) pool->post([&order, i] { order.push_back(i); });

  REQUIRE(kata::finishes_within(5s, [p = pool.shared()] { p->shutdown(true); }));
  std::vector<int> expected;
  for (int i = 0; i < 100; ++i) expected.push_back(i);
  REQUIRE(order == expected);
}

