// Tests of 26-create-task: Task starts its operation at once; run_one_by_one
// is sequential; run_concurrently overlaps the operations (all started before
// any finished) and still gives the results in input order.
//
// Every operation is simulated: it sleeps on a steady_timer, then returns a
// value or throws, and records when it ran. Concurrency is proven by overlap of
// those intervals (with a generous wall-time bound beside it), never by a
// speedup. Everything runs on one io_context in the main thread; run() bounds
// each test with ctx.run_for(5s).
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "create_task.hpp"
#include "kata/test.hpp"

namespace {

using namespace create_task;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

/// The lab: an io_context, the simulated operations' records, and run().
class Lab {
  std::map<int, std::string> states_;  // std::map: references stay valid

 public:
  asio::io_context ctx;              // declared after states_, so destroyed before it
  kata::IntervalRecorder intervals;  // one interval per operation that ended
  std::vector<int> finish_order;     // ids, in the order their timers ended

  /// After `delay`, returns `value`.
  Op returns(int id, milliseconds delay, int value) { return simulate(*this, id, delay, value, ""); }

  /// After `delay`, throws std::runtime_error(what).
  Op throws(int id, milliseconds delay, std::string what) { return simulate(*this, id, delay, 0, std::move(what)); }

  /// "" (not started), "running" or "completed".
  std::string state(int id) { return states_[id]; }

  /// Runs `body` on the io_context until everything has finished (at most 5 s)
  /// and returns what it returned.
  template <class T>
  T run(asio::awaitable<T> body) {
    auto result = asio::co_spawn(ctx, std::move(body), asio::use_future);
    ctx.restart();  // an earlier run() that ran out of work left the context stopped
    ctx.run_for(5s);
    if (!kata::ready_within(result, 0s)) FAIL("the test's coroutine did not finish within 5 s: something hangs");
    return result.get();  // rethrows what the coroutine threw
  }

 private:
  static Op simulate(Lab& lab, int id, milliseconds delay, int value, std::string what) {
    std::string& state = lab.states_[id];
    state = "running";
    const auto start = kata::Clock::now();
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(asio::use_awaitable);
    lab.intervals.add("op " + std::to_string(id), start, kata::Clock::now());
    lab.finish_order.push_back(id);
    state = "completed";
    if (!what.empty()) throw std::runtime_error(what);
    co_return value;
  }
};

const auto ops = [](auto&&... op) { return kata::vector_of<Op>(std::forward<decltype(op)>(op)...); };

/// Awaits `task`'s result (a copy of the handle lives in this coroutine's
/// frame) and returns ten times it.
Op ten_times(Task task) { co_return 10 * co_await task.result(); }

long long ms_since(kata::Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(kata::Clock::now() - start).count();
}

/// What a run of operations returned, and how long it took (ms), from before
/// the operations were made until the run returned.
struct TimedRun {
  std::vector<int> values;
  long long elapsed = 0;
};

/// Runs the coroutine that `make` returns on the lab and times it.
template <class Make>
TimedRun run_timed(Lab& lab, Make make) {
  const auto start = kata::Clock::now();
  TimedRun run;
  run.values = lab.run(make());
  run.elapsed = ms_since(start);
  return run;
}

}  // namespace

// ------------------------------------------------------------------- Task

TEST_CASE("Task starts its operation at once, before anyone awaits its result", "[26-create-task][unit][req:1]") {
  Lab lab;
  std::string state_before_await;
  bool done_before_await = false;
  auto body = [&]() -> asio::awaitable<int> {
    auto ex = co_await asio::this_coro::executor;
    Task task(ex, lab.returns(0, 50ms, 42));
    // Do something else for 150 ms without touching the task.
    asio::steady_timer other_work(ex, 150ms);
    co_await other_work.async_wait(asio::use_awaitable);
    state_before_await = lab.state(0);
    done_before_await = task.done();
    co_return co_await task.result();
  };
  REQUIRE(lab.run(body()) == 42);
  INFO("a 50 ms task created 150 ms ago must have run to its end before result() is awaited");
  CHECK(state_before_await == "completed");
  CHECK(done_before_await);
}

TEST_CASE("Task result waits for a running operation and can be awaited again afterwards",
          "[26-create-task][unit][req:2]") {
  Lab lab;
  bool done_at_start = true;
  auto body = [&]() -> asio::awaitable<std::vector<int>> {
    auto ex = co_await asio::this_coro::executor;
    Task task(ex, lab.returns(0, 100ms, 7));
    done_at_start = task.done();
    const int first = co_await task.result();
    const int done_after = task.done() ? 1 : 0;
    const int second = co_await task.result();
    co_return std::vector<int>{first, done_after, second};
  };
  INFO("values: result(), done() after it (1 = true), result() again");
  REQUIRE(lab.run(body()) == std::vector<int>{7, 1, 7});
  CHECK_FALSE(done_at_start);
}

TEST_CASE("Task result rethrows the exception its operation threw", "[26-create-task][unit][req:2]") {
  Lab lab;
  auto body = [&]() -> asio::awaitable<std::string> {
    auto ex = co_await asio::this_coro::executor;
    Task task(ex, lab.throws(0, 50ms, "boom"));
    try {
      co_await task.result();
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "result() returned without throwing";
  };
  REQUIRE(lab.run(body()) == "boom");
}

TEST_CASE("two coroutines awaiting one running task both get its value", "[26-create-task][unit][req:2]") {
  Lab lab;
  auto body = [&]() -> asio::awaitable<std::vector<int>> {
    auto ex = co_await asio::this_coro::executor;
    Task task(ex, lab.returns(0, 100ms, 5));
    // A second waiter, in a coroutine of its own, awaits while the first does.
    Task second_waiter(ex, ten_times(task));
    const int first = co_await task.result();
    const int second = co_await second_waiter.result();
    co_return std::vector<int>{first, second};
  };
  INFO("every coroutine waiting in result() must be woken when the operation ends, not just one");
  REQUIRE(lab.run(body()) == std::vector<int>{5, 50});
}

TEST_CASE("a task whose handles are all gone still runs its operation to its end", "[26-create-task][unit][req:1]") {
  Lab lab;
  auto body = [&]() -> asio::awaitable<std::string> {
    auto ex = co_await asio::this_coro::executor;
    { Task forgotten(ex, lab.returns(0, 50ms, 1)); }  // the only handle goes at once
    asio::steady_timer later(ex, 150ms);
    co_await later.async_wait(asio::use_awaitable);
    co_return lab.state(0);
  };
  INFO("what the operation's completion touches must live as long as the operation, not as long as a handle");
  REQUIRE(lab.run(body()) == "completed");
}

// --------------------------------------------------------- run_one_by_one

TEST_CASE("run_one_by_one starts each operation only after the previous one has finished",
          "[26-create-task][unit][req:3]") {
  Lab lab;
  const auto run = run_timed(lab, [&] {
    return run_one_by_one(ops(lab.returns(0, 100ms, 10), lab.returns(1, 100ms, 11), lab.returns(2, 100ms, 12)));
  });
  REQUIRE(run.values == std::vector<int>{10, 11, 12});
  CAPTURE(run.elapsed);
  CHECK(lab.intervals.max_overlap() == 1);
  CHECK(run.elapsed >= 295);  // three 100 ms sleeps, one after another
}

TEST_CASE("run_one_by_one stops at the first failure: later operations never start", "[26-create-task][unit][req:3]") {
  Lab lab;
  auto body = [&]() -> asio::awaitable<std::string> {
    try {
      co_await run_one_by_one(ops(lab.returns(0, 50ms, 10), lab.throws(1, 50ms, "second fails"),
                                  lab.returns(2, 50ms, 12)));
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "run_one_by_one returned without throwing";
  };
  REQUIRE(lab.run(body()) == "second fails");
  INFO("like a loop of awaits in Python, the exception ends the loop: the third operation must not have run");
  CHECK(lab.state(2) == "");
  CHECK(lab.finish_order == std::vector<int>{0, 1});
}

// ------------------------------------------------------- run_concurrently

TEST_CASE("run_concurrently starts every operation before the first one finishes", "[26-create-task][unit][req:4]") {
  Lab lab;
  const auto run = run_timed(lab, [&] {
    return run_concurrently(ops(lab.returns(0, 200ms, 1), lab.returns(1, 200ms, 2), lab.returns(2, 200ms, 3)));
  });
  REQUIRE(run.values == std::vector<int>{1, 2, 3});
  CAPTURE(run.elapsed);
  INFO("how many of the three 200 ms operations were running at one instant (1 means one by one)");
  CHECK(lab.intervals.max_overlap() == 3);
  // Beside the overlap, a generous bound: together about 200 ms; one by one
  // never less than 600 ms (a timer does not fire early).
  INFO("three 200 ms operations one by one take at least 600 ms; together about 200 ms");
  CHECK(run.elapsed < 600);
}

TEST_CASE("run_concurrently returns the results in input order when the operations finish in reverse order",
          "[26-create-task][unit][req:5]") {
  Lab lab;
  auto values = lab.run(run_concurrently(ops(lab.returns(0, 150ms, 10), lab.returns(1, 100ms, 11),
                                             lab.returns(2, 50ms, 12))));
  REQUIRE(lab.finish_order == std::vector<int>{2, 1, 0});
  REQUIRE(values == std::vector<int>{10, 11, 12});
}

TEST_CASE("run_concurrently waits for every operation, then rethrows the first failure in input order",
          "[26-create-task][unit][req:6]") {
  Lab lab;
  std::vector<std::string> states_when_thrown;
  auto body = [&]() -> asio::awaitable<std::string> {
    try {
      co_await run_concurrently(ops(lab.returns(0, 50ms, 10), lab.throws(1, 150ms, "first in input order"),
                                    lab.throws(2, 50ms, "first in time"), lab.returns(3, 200ms, 13)));
    } catch (const std::runtime_error& e) {
      for (int id = 0; id < 4; ++id) states_when_thrown.push_back(lab.state(id));
      co_return e.what();
    }
    co_return "run_concurrently returned without throwing";
  };
  REQUIRE(lab.run(body()) == "first in input order");
  INFO("every task must have finished before run_concurrently throws");
  CHECK(states_when_thrown == std::vector<std::string>(4, "completed"));
  CHECK(lab.intervals.max_overlap() >= 3);
}

TEST_CASE("run_one_by_one and run_concurrently of no operations return empty results", "[26-create-task][unit]") {
  Lab lab;
  CHECK(lab.run(run_one_by_one({})).empty());
  CHECK(lab.run(run_concurrently({})).empty());
}
