// Tests of 25-future-task: Future (result, exception, cancel, done-callbacks)
// and Task (drives a coroutine on the loop; co_await future suspends it; cancel
// reaches the awaited future). Everything runs on the given single-threaded
// Loop in the main thread, so the tests can look between loop iterations:
// whether a callback ran inline or on the loop, how many times it ran, what
// a task's coroutine has done so far, and whether anything is queued while a
// task waits. A hang is impossible: Loop::run_until throws LoopStalled when
// nothing is left to run, and bounds the number of callbacks.
#include <catch2/catch.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "future.hpp"
#include "kata/test.hpp"
#include "loop.hpp"
#include "task.hpp"

namespace {

using namespace aio;
using Log = std::vector<std::string>;

/// Runs the loop until nothing is queued (at most `limit` iterations).
void drain(Loop& loop, int limit = 100) {
  for (int i = 0; i < limit && loop.pending() > 0; ++i) loop.run_once();
}

/// Creates a task and runs the loop until nothing is queued: the coroutine
/// has gone as far as it can, up to a co_await on a pending future.
template <class T>
Task<T> start_and_drain(Loop& loop, Coro<T> coro) {
  auto task = create_task(loop, std::move(coro));
  drain(loop);
  return task;
}

/// Appends to the log when destroyed: shows that a coroutine's locals were
/// cleaned up (after a cancellation, say).
struct Guard {
  Log* log;
  std::string name;
  ~Guard() { log->push_back(name + " destroyed"); }
};

// ------------------------------------------------------------ coroutines

Coro<int> returns_seven(Log& log) {
  log.push_back("body runs");
  co_return 7;
}

Coro<int> adds_one(Future<int> input, Log& log) {
  log.push_back("before await");
  const int value = co_await input;
  log.push_back("after await: " + std::to_string(value));
  co_return value + 1;
}

Coro<std::string> catches_failure(Future<int> input) {
  try {
    co_await input;
  } catch (const std::runtime_error& e) {
    co_return std::string("caught: ") + e.what();
  }
  co_return std::string("no exception");
}

Coro<int> lets_failure_escape(Future<int> input) {
  const int value = co_await input;
  co_return value;
}

Coro<int> throws_itself(Log& log) {
  log.push_back("body runs");
  throw std::domain_error("task body failed");
  co_return 0;
}

/// Logs "waiting", runs `before_await` (by default nothing), then waits for
/// `never`: logs how the wait ended and when its locals were cleaned up.
/// `before_await` runs outside the try, so only the co_await can end in
/// the logged CancelledError.
Coro<int> waits_forever(Future<int> never, Log& log, std::function<void()> before_await = [] {}) {
  Guard guard{&log, "guard"};
  log.push_back("waiting");
  before_await();
  try {
    co_await never;
    log.push_back("woke up normally");
  } catch (const CancelledError&) {
    log.push_back("CancelledError at co_await");
    throw;
  }
  co_return 0;
}

Coro<int> survives_cancel(Future<int> never, Future<int> second, Log& log) {
  try {
    co_await never;
  } catch (const CancelledError&) {
    log.push_back("caught CancelledError");
  }
  const int value = co_await second;  // keeps going after the cancellation
  co_return value * 2;
}

Coro<int> awaits_task(Task<int> inner, Log& log) {
  log.push_back("outer waits");
  const int value = co_await inner;
  log.push_back("outer got " + std::to_string(value));
  co_return value * 10;
}

/// Holds `token` in its frame (a coroutine's parameters live there) until
/// the frame is destroyed.
Coro<int> holds_token(std::shared_ptr<int> token, Log& log) {
  log.push_back("body runs");
  co_return *token;
}

}  // namespace

// ------------------------------------------------------------------ Future

TEST_CASE("a new future is pending and its result is not available", "[25-future-task][req:1][unit]") {
  Loop loop;
  Future<int> f(loop);
  REQUIRE_FALSE(f.done());
  REQUIRE_FALSE(f.cancelled());
  REQUIRE_THROWS_AS(f.result(), InvalidStateError);
  REQUIRE_THROWS_AS(f.exception(), InvalidStateError);
}

TEST_CASE("set_result completes a future once and result returns the value", "[25-future-task][req:2][req:3][unit]") {
  Loop loop;
  Future<std::string> f(loop);
  f.set_result("done");
  REQUIRE(f.done());
  REQUIRE_FALSE(f.cancelled());
  REQUIRE(f.result() == "done");
  REQUIRE(f.exception() == nullptr);
  REQUIRE_THROWS_AS(f.set_result("again"), InvalidStateError);
  REQUIRE_THROWS_AS(f.set_exception(std::make_exception_ptr(std::runtime_error("late"))), InvalidStateError);
  REQUIRE_FALSE(f.cancel());
  REQUIRE(f.result() == "done");
}

TEST_CASE("set_exception completes a future and result rethrows the exception", "[25-future-task][req:2][unit]") {
  Loop loop;
  Future<int> f(loop);
  f.set_exception(std::make_exception_ptr(std::runtime_error("boom")));
  REQUIRE(f.done());
  REQUIRE_FALSE(f.cancelled());
  REQUIRE(f.exception() != nullptr);
  REQUIRE_THROWS_WITH(f.result(), "boom");
  REQUIRE_THROWS_WITH(std::rethrow_exception(f.exception()), "boom");
  REQUIRE_THROWS_AS(f.set_result(1), InvalidStateError);
}

TEST_CASE("cancel cancels a pending future and leaves a done one alone", "[25-future-task][req:3][unit]") {
  Loop loop;
  Future<int> pending(loop);
  REQUIRE(pending.cancel());
  REQUIRE(pending.done());
  REQUIRE(pending.cancelled());
  REQUIRE_THROWS_AS(pending.result(), CancelledError);
  REQUIRE_THROWS_AS(pending.exception(), CancelledError);
  REQUIRE_FALSE(pending.cancel());
  REQUIRE_THROWS_AS(pending.set_result(1), InvalidStateError);

  Future<int> finished(loop);
  finished.set_result(3);
  REQUIRE_FALSE(finished.cancel());
  REQUIRE_FALSE(finished.cancelled());
  REQUIRE(finished.result() == 3);
}

TEST_CASE("callbacks added before completion run exactly once each, in order, on the loop",
          "[25-future-task][req:4][unit]") {
  Loop loop;
  Future<int> f(loop);
  Log log;
  for (const char* name : {"first", "second", "third"}) f.add_done_callback([&log, name] { log.push_back(name); });
  drain(loop);
  {
    INFO("a callback ran before the future was done");
    REQUIRE(log.empty());
  }

  f.set_result(1);
  {
    INFO("callbacks must run on the loop, not inside set_result");
    REQUIRE(log.empty());
  }
  drain(loop);
  REQUIRE(log == Log{"first", "second", "third"});

  // Later activity on the future must not run them again.
  REQUIRE_FALSE(f.cancel());
  f.add_done_callback([&log] { log.push_back("late"); });
  drain(loop);
  REQUIRE(log == Log{"first", "second", "third", "late"});
  drain(loop);
  REQUIRE(log == Log{"first", "second", "third", "late"});
}

TEST_CASE("a callback added after completion runs once, soon, on the loop and not inline",
          "[25-future-task][req:4][unit]") {
  Loop loop;
  Future<int> f(loop);
  f.set_exception(std::make_exception_ptr(std::runtime_error("already failed")));
  drain(loop);

  int runs = 0;
  f.add_done_callback([&runs] { ++runs; });
  {
    INFO("add_done_callback on a done future ran the callback inline");
    REQUIRE(runs == 0);
  }
  {
    INFO("add_done_callback on a done future must schedule the callback on the loop");
    REQUIRE(loop.pending() == 1);
  }
  loop.run_once();
  REQUIRE(runs == 1);
  drain(loop);
  REQUIRE(runs == 1);
}

TEST_CASE("cancelling a future runs its callbacks once", "[25-future-task][req:3][req:4][unit]") {
  Loop loop;
  Future<int> f(loop);
  int runs = 0;
  f.add_done_callback([&runs] { ++runs; });
  REQUIRE(f.cancel());
  REQUIRE(runs == 0);
  drain(loop);
  REQUIRE(runs == 1);
}

// ------------------------------------------------------------------- Task

TEST_CASE("a task runs its coroutine on the loop, not when it is created", "[25-future-task][req:5][unit]") {
  Loop loop;
  Log log;
  auto task = create_task(loop, returns_seven(log));
  {
    INFO("create_task must only schedule the first step");
    REQUIRE(log.empty());
    REQUIRE_FALSE(task.done());
  }
  REQUIRE(run_until_complete(task) == 7);
  REQUIRE(log == Log{"body runs"});
  REQUIRE(task.done());
  REQUIRE(task.exception() == nullptr);
}

TEST_CASE("co_await on a pending future suspends the task until the future completes", "[25-future-task][req:6][unit]") {
  Loop loop;
  Log log;
  Future<int> input(loop);
  auto task = start_and_drain(loop, adds_one(input, log));
  REQUIRE(log == Log{"before await"});
  REQUIRE_FALSE(task.done());
  {
    INFO("while it waits, a task queues nothing: it is woken by the future, it does not poll");
    REQUIRE(loop.pending() == 0);
  }

  // Another callback on the loop completes the future.
  loop.call_soon([input]() mutable { input.set_result(41); });
  REQUIRE(run_until_complete(task) == 42);
  REQUIRE(log == Log{"before await", "after await: 41"});
}

TEST_CASE("co_await on a done future goes on at once", "[25-future-task][req:6][unit]") {
  Loop loop;
  Log log;
  Future<int> input(loop);
  input.set_result(9);
  auto task = create_task(loop, adds_one(input, log));
  REQUIRE(run_until_complete(task) == 10);
  REQUIRE(log == Log{"before await", "after await: 9"});
}

TEST_CASE("an exception set on an awaited future is thrown at the co_await", "[25-future-task][req:6][unit]") {
  Loop loop;
  Future<int> input(loop);
  auto catcher = create_task(loop, catches_failure(input));
  auto passer = create_task(loop, lets_failure_escape(input));
  drain(loop);
  input.set_exception(std::make_exception_ptr(std::runtime_error("input failed")));

  REQUIRE(run_until_complete(catcher) == "caught: input failed");
  loop.run_until([&] { return passer.done(); });
  REQUIRE_FALSE(passer.cancelled());
  REQUIRE(passer.exception() != nullptr);
  REQUIRE_THROWS_WITH(passer.result(), "input failed");
}

TEST_CASE("an exception escaping a task's coroutine becomes the task's exception", "[25-future-task][req:5][unit]") {
  Loop loop;
  Log log;
  auto task = create_task(loop, throws_itself(log));
  REQUIRE_THROWS_AS(run_until_complete(task), std::domain_error);
  REQUIRE(log == Log{"body runs"});
  REQUIRE(task.done());
  REQUIRE_FALSE(task.cancelled());
  REQUIRE_THROWS_WITH(std::rethrow_exception(task.exception()), "task body failed");
}

TEST_CASE("cancelling a task cancels the future it awaits and the task ends cancelled", "[25-future-task][req:7][unit]") {
  Loop loop;
  Log log;
  Future<int> never(loop);
  auto task = start_and_drain(loop, waits_forever(never, log));
  REQUIRE(log == Log{"waiting"});

  REQUIRE(task.cancel());
  {
    INFO("Task::cancel must cancel the future the coroutine is waiting for");
    REQUIRE(never.cancelled());
  }
  loop.run_until([&] { return task.done(); });
  REQUIRE(log == Log{"waiting", "CancelledError at co_await", "guard destroyed"});
  REQUIRE(task.cancelled());
  REQUIRE_THROWS_AS(task.result(), CancelledError);
  REQUIRE_THROWS_AS(run_until_complete(task), CancelledError);
  REQUIRE_FALSE(task.cancel());
}

TEST_CASE("a task cancelled before its first step never runs its body", "[25-future-task][req:7][unit]") {
  Loop loop;
  Log log;
  auto task = create_task(loop, returns_seven(log));
  REQUIRE(task.cancel());
  loop.run_until([&] { return task.done(); });
  REQUIRE(log.empty());
  REQUIRE(task.cancelled());
  REQUIRE_THROWS_AS(task.result(), CancelledError);
}

TEST_CASE("a task that catches CancelledError goes on and finishes normally", "[25-future-task][req:7][unit]") {
  Loop loop;
  Log log;
  Future<int> never(loop);
  Future<int> second(loop);
  auto task = start_and_drain(loop, survives_cancel(never, second, log));
  REQUIRE(task.cancel());
  drain(loop);
  REQUIRE(log == Log{"caught CancelledError"});
  REQUIRE_FALSE(task.done());
  second.set_result(21);
  REQUIRE(run_until_complete(task) == 42);
  REQUIRE_FALSE(task.cancelled());
}

TEST_CASE("a task can await another task, since a task is a future", "[25-future-task][req:8][unit]") {
  Loop loop;
  Log log;
  Future<int> input(loop);
  auto inner = create_task(loop, adds_one(input, log));
  auto outer = start_and_drain(loop, awaits_task(inner, log));
  REQUIRE(log == Log{"before await", "outer waits"});
  input.set_result(4);
  REQUIRE(run_until_complete(outer) == 50);
  REQUIRE(log == Log{"before await", "outer waits", "after await: 4", "outer got 5"});
}

TEST_CASE("a task cancelled after its awaited future completed but before it resumed gets CancelledError at the co_await",
          "[25-future-task][req:7][unit]") {
  Loop loop;
  Log log;
  Future<int> input(loop);
  auto task = start_and_drain(loop, waits_forever(input, log));
  REQUIRE(log == Log{"waiting"});
  input.set_result(1);  // the task's next step is now queued
  REQUIRE(task.cancel());
  REQUIRE_FALSE(input.cancelled());
  loop.run_until([&] { return task.done(); });
  REQUIRE(log == Log{"waiting", "CancelledError at co_await", "guard destroyed"});
  REQUIRE(task.cancelled());
}

TEST_CASE("a set_result or set_exception refused on a done future changes nothing", "[25-future-task][req:2][unit]") {
  Loop loop;
  Future<int> ok(loop);
  int runs = 0;
  ok.add_done_callback([&runs] { ++runs; });
  ok.set_result(5);
  REQUIRE_THROWS_AS(ok.set_exception(std::make_exception_ptr(std::runtime_error("late failure"))), InvalidStateError);
  REQUIRE_THROWS_AS(ok.set_result(6), InvalidStateError);
  {
    INFO("a refused set_exception/set_result must not store anything: check done() before changing the future");
    REQUIRE(ok.exception() == nullptr);
    REQUIRE(ok.result() == 5);
  }
  drain(loop);
  REQUIRE(runs == 1);

  Future<int> failed(loop);
  failed.set_exception(std::make_exception_ptr(std::runtime_error("first failure")));
  REQUIRE_THROWS_AS(failed.set_exception(std::make_exception_ptr(std::runtime_error("second failure"))),
                    InvalidStateError);
  REQUIRE_THROWS_AS(failed.set_result(1), InvalidStateError);
  REQUIRE_THROWS_WITH(failed.result(), "first failure");

  Future<int> cancelled(loop);
  REQUIRE(cancelled.cancel());
  REQUIRE_THROWS_AS(cancelled.set_exception(std::make_exception_ptr(std::runtime_error("too late"))), InvalidStateError);
  REQUIRE(cancelled.cancelled());
  REQUIRE_THROWS_AS(cancelled.exception(), CancelledError);
}

TEST_CASE("co_await on a done future goes on in the same step, without another loop iteration",
          "[25-future-task][req:6][unit]") {
  Loop loop;
  Log log;
  Future<int> input(loop);
  input.set_result(9);
  auto task = create_task(loop, adds_one(input, log));
  REQUIRE(loop.run_once() == 1);  // the task's first step
  INFO("co_await on a done future must not suspend (await_ready)");
  REQUIRE(task.done());
  REQUIRE(task.result() == 10);
}

TEST_CASE("a task that cancels itself while it runs gets CancelledError at its next co_await",
          "[25-future-task][req:7][unit]") {
  // The cancel() comes while the coroutine runs and awaits nothing: it must
  // be kept and delivered at the next co_await (by cancelling what it awaits).
  // The task reaches itself through `self`, filled in after create_task.
  Loop loop;
  Log log;
  Future<int> never(loop);
  auto self = std::make_shared<Task<int>*>(nullptr);
  auto task = create_task(loop, waits_forever(never, log, [self] { (*self)->cancel(); }));
  *self = &task;
  loop.run_until([&] { return task.done(); });
  REQUIRE(log == Log{"waiting", "CancelledError at co_await", "guard destroyed"});
  REQUIRE(never.cancelled());
  REQUIRE(task.cancelled());
}

TEST_CASE("a task that catches a CancelledError delivered after its future completed goes on normally",
          "[25-future-task][req:7][unit]") {
  // The cancel() comes between the future's completion and the task's next
  // step: the task gets one CancelledError at that co_await, and only one.
  Loop loop;
  Log log;
  Future<int> first(loop);
  Future<int> second(loop);
  auto task = start_and_drain(loop, survives_cancel(first, second, log));
  first.set_result(1);  // the task's next step is now queued
  REQUIRE(task.cancel());
  drain(loop);
  REQUIRE(log == Log{"caught CancelledError"});
  {
    INFO("the cancellation was delivered once: the next co_await must wait normally");
    REQUIRE_FALSE(second.cancelled());
    REQUIRE_FALSE(task.done());
  }
  second.set_result(21);
  REQUIRE(run_until_complete(task) == 42);
  REQUIRE_FALSE(task.cancelled());
}

TEST_CASE("cancelling a task that awaits another task cancels the inner task and the future it awaits",
          "[25-future-task][req:7][req:8][unit]") {
  Loop loop;
  Log inner_log;
  Log outer_log;
  Future<int> never(loop);
  auto inner = create_task(loop, waits_forever(never, inner_log));
  auto outer = start_and_drain(loop, awaits_task(inner, outer_log));
  REQUIRE(outer.cancel());
  REQUIRE(never.cancelled());
  loop.run_until([&] { return outer.done(); });
  REQUIRE(inner.cancelled());
  REQUIRE(outer.cancelled());
  REQUIRE(inner_log == Log{"waiting", "CancelledError at co_await", "guard destroyed"});
  REQUIRE(outer_log == Log{"outer waits"});
}

TEST_CASE("a task whose handle is dropped while it waits still runs to its end", "[25-future-task][req:6][req:9][unit]") {
  // Nothing but the future it awaits refers to the task now: the callback that
  // wakes it must keep it alive (shared_from_this), not point at it.
  Loop loop;
  Log log;
  Future<int> input(loop);
  {
    auto task = start_and_drain(loop, adds_one(input, log));
    REQUIRE(log == Log{"before await"});
  }
  input.set_result(1);
  drain(loop);
  INFO("the task must live on while a future it awaits can still wake it");
  REQUIRE(log == Log{"before await", "after await: 1"});
}

TEST_CASE("a task destroyed before its coroutine ran destroys the coroutine's frame", "[25-future-task][req:9][unit]") {
  // The loop goes away with the task's first step still queued: the last
  // reference to the task goes with it, and the frame (which holds the
  // coroutine's parameters) must be destroyed by the task's destructor.
  Log log;
  auto token = std::make_shared<int>(3);
  std::weak_ptr<int> watch = token;
  {
    Loop loop;
    auto task = create_task(loop, holds_token(std::move(token), log));
  }
  REQUIRE(log.empty());
  INFO("~TaskCore must destroy a coroutine frame that never finished");
  REQUIRE(watch.expired());
}

// ------------------------------------------------------------------- Loop

TEST_CASE("an exception thrown by a callback comes out of run_once and the callbacks after it stay queued",
          "[25-future-task][req:4][unit]") {
  Loop loop;
  Log log;
  loop.call_soon([&log] { log.push_back("first"); });
  loop.call_soon([] { throw std::runtime_error("callback failed"); });
  loop.call_soon([&log] { log.push_back("third"); });
  REQUIRE_THROWS_WITH(loop.run_once(), "callback failed");
  REQUIRE(log == Log{"first"});
  REQUIRE(loop.pending() == 1);
  drain(loop);
  REQUIRE(log == Log{"first", "third"});
}

TEST_CASE("run_until throws LoopStalled when nothing is left to run and the condition is still false",
          "[25-future-task][req:4][unit]") {
  Loop loop;
  int runs = 0;
  loop.call_soon([&runs] { ++runs; });
  REQUIRE_THROWS_AS(loop.run_until([] { return false; }), LoopStalled);
  REQUIRE(runs == 1);
  Future<int> never(loop);
  REQUIRE_THROWS_AS(run_until_complete(never), LoopStalled);
}

TEST_CASE("run_until throws LoopStalled when callbacks keep queuing callbacks past its limit",
          "[25-future-task][req:4][unit]") {
  Loop loop;
  std::function<void()> again = [&] { loop.call_soon(again); };
  loop.call_soon(again);
  REQUIRE_THROWS_AS(loop.run_until([] { return false; }, 50), LoopStalled);
  REQUIRE(loop.callbacks_run() > 50);
  REQUIRE(loop.callbacks_run() < 100);
}
