// Tests of 27-gather-wait: gather (input order, concurrency, first error
// cancels the siblings, settled outcomes) and wait (done/pending per
// ReturnWhen, pending tasks left running).
//
// Every operation is simulated: it sleeps on a steady_timer, then returns a
// value or throws. It records whether its timer ran out ("completed") or was
// cancelled ("aborted"), and when it ran, so a test can prove concurrency by
// overlap and cancellation by what happened to the timer, never by a speedup.
// Everything runs on one io_context in the main thread; run() bounds each test
// with ctx.run_for(5s) (kata/asio_test.hpp).
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <string>
#include <stdexcept>
#include <utility>
#include <vector>

#include "gather_wait.hpp"
#include "kata/asio_test.hpp"
#include "kata/test.hpp"

namespace {

using namespace gather_wait;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using Indices = std::vector<std::size_t>;

/// The lab: an io_context, the simulated operations' records, and run().
class Lab {
  kata::OpStates<int> states_;

 public:
  asio::io_context ctx;  // declared after states_, so destroyed before it
  kata::IntervalRecorder intervals;  // one interval per operation that ended

  /// After `delay`, returns `value`.
  Op returns(int id, milliseconds delay, int value) { return simulate(*this, id, delay, value, ""); }

  /// After `delay`, throws std::runtime_error(what).
  Op throws(int id, milliseconds delay, std::string what) { return simulate(*this, id, delay, 0, std::move(what)); }

  /// "not started", "running", "completed" (its timer ran out) or "aborted"
  /// (its timer was cancelled).
  std::string state(int id) { return states_.state(id); }

  /// Runs `body` on the io_context until everything has finished (at most 5 s)
  /// and returns what it returned.
  template <class T>
  T run(asio::awaitable<T> body) {
    try {
      return kata::run_coroutine(ctx, std::move(body));  // rethrows what the coroutine threw
    } catch (const std::future_error&) {
      FAIL("an awaitable never completed: its handler was dropped without a call "
           "(a parallel group of no operations does that)");
      throw;
    }
  }

 private:
  static Op simulate(Lab& lab, int id, milliseconds delay, int value, std::string what) {
    std::string& state = lab.states_.start(id);
    const auto start = kata::Clock::now();
    const auto ec = co_await kata::timer_outcome(delay);
    lab.intervals.add("op " + std::to_string(id), start, kata::Clock::now());
    if (ec) {
      state = "aborted";
      throw boost::system::system_error(ec);
    }
    state = "completed";
    if (!what.empty()) throw std::runtime_error(what);
    co_return value;
  }
};

const auto ops = [](auto&&... op) { return kata::vector_of<Op>(std::forward<decltype(op)>(op)...); };

/// Starts a Task per operation, in order, on the calling coroutine's executor.
asio::awaitable<std::vector<Task>> start_tasks(std::vector<Op> all) {
  auto ex = co_await asio::this_coro::executor;
  std::vector<Task> tasks;
  for (auto& op : all) tasks.emplace_back(ex, std::move(op));
  co_return tasks;
}

std::string message_of(const std::exception_ptr& error) {
  if (!error) return "(no error)";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "(a non-std exception)";
  }
}

}  // namespace

// ------------------------------------------------------------------ gather

TEST_CASE("gather returns the results in input order even when the operations finish in reverse order",
          "[27-gather-wait][req:1][unit]") {
  Lab lab;
  auto values = lab.run(gather(ops(lab.returns(0, 150ms, 10), lab.returns(1, 100ms, 11), lab.returns(2, 50ms, 12))));
  REQUIRE(values == std::vector<int>{10, 11, 12});
}

TEST_CASE("gather runs the operations concurrently", "[27-gather-wait][req:2][unit]") {
  Lab lab;
  auto values = lab.run(gather(ops(lab.returns(0, 200ms, 1), lab.returns(1, 200ms, 2), lab.returns(2, 200ms, 3))));
  REQUIRE(values == std::vector<int>{1, 2, 3});
  INFO("how many of the three 200 ms operations were running at one instant");
  REQUIRE(lab.intervals.max_overlap() == 3);
}

TEST_CASE("gather rethrows the first error and cancels the operations still running", "[27-gather-wait][req:3][unit]") {
  Lab lab;
  std::string state_0_when_thrown, state_2_when_thrown;
  auto body = [&]() -> asio::awaitable<std::string> {
    try {
      co_await gather(ops(lab.returns(0, 400ms, 10), lab.throws(1, 50ms, "boom"), lab.returns(2, 500ms, 12)));
    } catch (const std::exception& e) {
      state_0_when_thrown = lab.state(0);
      state_2_when_thrown = lab.state(2);
      co_return e.what();
    }
    co_return "gather returned without throwing";
  };
  REQUIRE(lab.run(body()) == "boom");
  INFO("the siblings must be cancelled, and gather must wait until they have stopped before it throws");
  CHECK(state_0_when_thrown == "aborted");
  CHECK(state_2_when_thrown == "aborted");
  CHECK(lab.state(0) == "aborted");
  CHECK(lab.state(2) == "aborted");
}

TEST_CASE("gather rethrows the error that happened first, not the first one in input order",
          "[27-gather-wait][req:3][unit]") {
  Lab lab;
  auto body = [&]() -> asio::awaitable<std::string> {
    try {
      co_await gather(ops(lab.throws(0, 300ms, "late"), lab.throws(1, 50ms, "early"), lab.returns(2, 400ms, 12)));
    } catch (const std::exception& e) {
      co_return e.what();
    }
    co_return "gather returned without throwing";
  };
  INFO("operation 0 is cancelled when operation 1 fails, so it ends with operation_aborted, after 'early'");
  REQUIRE(lab.run(body()) == "early");
}

TEST_CASE("gather_settled returns every value and every error in input order and cancels nothing",
          "[27-gather-wait][req:4][unit]") {
  Lab lab;
  auto outcomes = lab.run(gather_settled(
      ops(lab.throws(0, 150ms, "a"), lab.returns(1, 50ms, 11), lab.throws(2, 100ms, "c"), lab.returns(3, 200ms, 13))));
  REQUIRE(outcomes.size() == 4);
  CHECK(message_of(outcomes[0].error) == "a");
  CHECK(message_of(outcomes[1].error) == "(no error)");
  CHECK(outcomes[1].value == 11);
  CHECK(message_of(outcomes[2].error) == "c");
  CHECK(message_of(outcomes[3].error) == "(no error)");
  CHECK(outcomes[3].value == 13);
  for (int id = 0; id < 4; ++id) {
    CAPTURE(id);
    CHECK(lab.state(id) == "completed");
  }
  CHECK(lab.intervals.max_overlap() == 4);
}

TEST_CASE("gather and gather_settled of no operations return empty results at once", "[27-gather-wait][req:7][unit]") {
  Lab lab;
  CHECK(lab.run(gather({})).empty());
  CHECK(lab.run(gather_settled({})).empty());
}

// -------------------------------------------------------------------- wait

TEST_CASE("wait first_completed reports the finished task as done and leaves the others running",
          "[27-gather-wait][req:5][req:6][unit]") {
  Lab lab;
  bool task_1_done_then = true, task_2_done_then = true;
  auto body = [&]() -> asio::awaitable<WaitResult> {
    auto tasks =
        co_await start_tasks(ops(lab.returns(0, 50ms, 10), lab.returns(1, 400ms, 11), lab.throws(2, 500ms, "late")));
    WaitResult result = co_await wait(tasks, ReturnWhen::first_completed);
    task_1_done_then = tasks[1].done();
    task_2_done_then = tasks[2].done();
    // The pending tasks still belong to the caller: it can wait for them now.
    co_await tasks[1].join();
    co_await tasks[2].join();
    co_return result;
  };
  WaitResult result = lab.run(body());
  CHECK(result.done == Indices{0});
  CHECK(result.pending == Indices{1, 2});
  CHECK_FALSE(task_1_done_then);
  CHECK_FALSE(task_2_done_then);
  INFO("wait must not cancel the pending tasks: they run to their own end");
  CHECK(lab.state(1) == "completed");
  CHECK(lab.state(2) == "completed");
}

TEST_CASE("wait first_exception returns when a task fails and leaves the others running", "[27-gather-wait][req:5][req:6][unit]") {
  Lab lab;
  bool task_2_done_then = true;
  auto body = [&]() -> asio::awaitable<WaitResult> {
    auto tasks =
        co_await start_tasks(ops(lab.returns(0, 50ms, 10), lab.throws(1, 100ms, "boom"), lab.returns(2, 500ms, 12)));
    WaitResult result = co_await wait(tasks, ReturnWhen::first_exception);
    task_2_done_then = tasks[2].done();
    co_await tasks[2].join();
    co_return result;
  };
  WaitResult result = lab.run(body());
  CHECK(result.done == Indices{0, 1});
  CHECK(result.pending == Indices{2});
  CHECK_FALSE(task_2_done_then);
  INFO("wait must not cancel the pending task: it runs to its own end");
  CHECK(lab.state(2) == "completed");
}

TEST_CASE("wait first_exception waits for every task when none fails", "[27-gather-wait][req:5][unit]") {
  Lab lab;
  auto body = [&]() -> asio::awaitable<WaitResult> {
    auto tasks =
        co_await start_tasks(ops(lab.returns(0, 50ms, 10), lab.returns(1, 100ms, 11), lab.returns(2, 150ms, 12)));
    co_return co_await wait(tasks, ReturnWhen::first_exception);
  };
  WaitResult result = lab.run(body());
  CHECK(result.done == Indices{0, 1, 2});
  CHECK(result.pending.empty());
}

TEST_CASE("wait all_completed reports every task done, failed ones included, without throwing",
          "[27-gather-wait][req:5][req:6][unit]") {
  Lab lab;
  std::string error_of_1;
  auto body = [&]() -> asio::awaitable<WaitResult> {
    auto tasks =
        co_await start_tasks(ops(lab.returns(0, 50ms, 10), lab.throws(1, 100ms, "boom"), lab.returns(2, 150ms, 12)));
    WaitResult result = co_await wait(tasks, ReturnWhen::all_completed);
    error_of_1 = message_of(tasks[1].exception());
    co_return result;
  };
  WaitResult result = lab.run(body());
  CHECK(result.done == Indices{0, 1, 2});
  CHECK(result.pending.empty());
  CHECK(error_of_1 == "boom");
}

TEST_CASE("wait first_completed counts a task that failed as done", "[27-gather-wait][req:5][req:6][unit]") {
  Lab lab;
  bool task_1_done_then = true;
  auto body = [&]() -> asio::awaitable<WaitResult> {
    auto tasks = co_await start_tasks(ops(lab.throws(0, 50ms, "boom"), lab.returns(1, 400ms, 11)));
    WaitResult result = co_await wait(tasks, ReturnWhen::first_completed);
    task_1_done_then = tasks[1].done();
    co_await tasks[1].join();
    co_return result;
  };
  WaitResult result = lab.run(body());
  INFO("a task that ended with an exception is done: first_completed returns then, without throwing");
  CHECK(result.done == Indices{0});
  CHECK(result.pending == Indices{1});
  CHECK_FALSE(task_1_done_then);
}

TEST_CASE("wait lists the done indices in ascending order, not in the order the tasks finished",
          "[27-gather-wait][req:5][unit]") {
  Lab lab;
  auto body = [&]() -> asio::awaitable<WaitResult> {
    // They finish in the order 1, 2, 0, 3.
    auto tasks = co_await start_tasks(
        ops(lab.returns(0, 200ms, 10), lab.returns(1, 50ms, 11), lab.returns(2, 120ms, 12), lab.returns(3, 300ms, 13)));
    co_return co_await wait(tasks, ReturnWhen::all_completed);
  };
  WaitResult result = lab.run(body());
  INFO("done and pending are index lists, each ascending, whatever order the tasks ended in");
  CHECK(result.done == Indices{0, 1, 2, 3});
  CHECK(result.pending.empty());
}

TEST_CASE("the caller can cancel the tasks that wait left pending", "[27-gather-wait][req:6][unit]") {
  Lab lab;
  auto body = [&]() -> asio::awaitable<WaitResult> {
    auto tasks =
        co_await start_tasks(ops(lab.returns(0, 50ms, 10), lab.returns(1, 400ms, 11), lab.returns(2, 500ms, 12)));
    WaitResult result = co_await wait(tasks, ReturnWhen::first_completed);
    // What gather does for you on an error, done by hand after wait.
    for (std::size_t i : result.pending) tasks[i].cancel();
    for (std::size_t i : result.pending) co_await tasks[i].join();
    co_return result;
  };
  WaitResult result = lab.run(body());
  CHECK(result.pending == Indices{1, 2});
  CHECK(lab.state(0) == "completed");
  CHECK(lab.state(1) == "aborted");
  CHECK(lab.state(2) == "aborted");
}

TEST_CASE("wait of no tasks returns empty lists at once", "[27-gather-wait][req:7][unit]") {
  Lab lab;
  WaitResult result = lab.run(wait({}, ReturnWhen::first_completed));
  CHECK(result.done.empty());
  CHECK(result.pending.empty());
}

TEST_CASE("wait returns at once, without waiting for another task, when its condition already holds",
          "[27-gather-wait][req:5][unit]") {
  Lab lab;
  std::string log;
  auto body = [&]() -> asio::awaitable<void> {
    auto tasks = co_await start_tasks(ops(lab.returns(0, 50ms, 10), lab.throws(1, 50ms, "boom"),
                                          lab.returns(2, 400ms, 12), lab.returns(3, 400ms, 13)));
    co_await tasks[0].join();
    co_await tasks[1].join();
    auto describe = [&](const char* name, const WaitResult& r) {
      log += name;
      log += ": done";
      for (auto i : r.done) log += " " + std::to_string(i);
      log += ", pending";
      for (auto i : r.pending) log += " " + std::to_string(i);
      log += std::string(tasks[2].done() || tasks[3].done() ? " (after a later task ended)" : "") + "; ";
    };
    // Tasks 0 and 1 are done (1 with an error), 2 and 3 still running.
    describe("first_completed", co_await wait(tasks, ReturnWhen::first_completed));
    describe("first_exception", co_await wait(tasks, ReturnWhen::first_exception));
    std::vector<Task> finished{tasks[0], tasks[1]};
    describe("all_completed of done tasks", co_await wait(finished, ReturnWhen::all_completed));
    co_await tasks[2].join();
    co_await tasks[3].join();
  };
  lab.run(body());
  INFO("when the condition holds already, wait must return at once instead of waiting for one more task");
  CHECK(log ==
        "first_completed: done 0 1, pending 2 3; first_exception: done 0 1, pending 2 3; "
        "all_completed of done tasks: done 0 1, pending; ");
}

TEST_CASE("two coroutines waiting on the same tasks both return when the first task ends",
          "[27-gather-wait][req:5][req:6][unit]") {
  Lab lab;
  std::vector<std::string> seen;
  auto body = [&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto tasks = co_await start_tasks(ops(lab.returns(0, 100ms, 10), lab.returns(1, 400ms, 11)));
    auto waiter = [&seen, tasks]() -> asio::awaitable<int> {
      WaitResult r = co_await wait(tasks, ReturnWhen::first_completed);
      std::string s = "done";
      for (auto i : r.done) s += " " + std::to_string(i);
      seen.push_back(s);
      co_return 0;
    };
    Task first(ex, waiter());
    Task second(ex, waiter());
    co_await first.join();
    co_await second.join();
    co_await tasks[1].join();
  };
  lab.run(body());
  INFO("when a task ends, every coroutine waiting for it must resume, not just one");
  CHECK(seen == std::vector<std::string>{"done 0", "done 0"});
}

// -------------------------------------------------------------------- Task

TEST_CASE("Task result gives the value of a task that returned and rethrows the error of one that failed",
          "[27-gather-wait][req:5][unit]") {
  Lab lab;
  int value = 0;
  auto body = [&]() -> asio::awaitable<std::string> {
    auto ex = co_await asio::this_coro::executor;
    Task returned(ex, lab.returns(0, 50ms, 10));
    Task failed(ex, lab.throws(1, 50ms, "boom"));
    co_await returned.join();
    co_await failed.join();
    value = returned.result();
    try {
      (void)failed.result();
    } catch (const std::exception& e) {
      co_return e.what();
    }
    co_return "result() of a failed task returned without throwing";
  };
  REQUIRE(lab.run(body()) == "boom");
  CHECK(value == 10);
}

TEST_CASE("Task result of a task that is still running throws logic_error", "[27-gather-wait][req:5][unit]") {
  Lab lab;
  auto body = [&]() -> asio::awaitable<std::string> {
    auto ex = co_await asio::this_coro::executor;
    Task running(ex, lab.returns(0, 100ms, 10));
    std::string what = "result() of a running task returned without throwing";
    try {
      (void)running.result();
    } catch (const std::logic_error&) {
      what = "logic_error";
    }
    co_await running.join();
    co_return what;
  };
  REQUIRE(lab.run(body()) == "logic_error");
}
