// Tests of 28-timeout-cancel: with_timeout (the value, the operation's own
// error, a timeout that really cancels, the caller's cancellation), Task
// (cancel() and what its awaiter sees) and shield (the caller's cancellation
// does not reach the operation).
//
// Every operation is simulated: it sleeps on a steady_timer, then returns a
// value or throws. When its timer is cancelled it runs an asynchronous
// clean-up (a 30 ms "goodbye") and only then ends with operation_aborted. Its
// state says what happened: "running", "cleaning up", "completed" (its timer
// ran out) or "aborted" (its timer ended with operation_aborted AND the
// clean-up ran). Tests prove cancellation by that state at the moment the
// caller resumes, never by elapsed time alone. Everything runs on one
// io_context in the main thread; run() bounds each test with ctx.run_for(5s)
// (kata/asio_test.hpp).
#include <catch2/catch.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>

#include "kata/asio_test.hpp"
#include "kata/test.hpp"
#include "timeout_cancel.hpp"

namespace {

using namespace timeout_cancel;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

/// The lab: an io_context, the simulated operations' states, and run().
class Lab {
  kata::OpStates<int> states_;

 public:
  asio::io_context ctx;  // declared after states_, so destroyed before it
  const kata::Clock::time_point start = kata::Clock::now();

  /// After `delay`, returns `value`.
  Op returns(int id, milliseconds delay, int value) { return simulate(*this, id, delay, value, ""); }

  /// After `delay`, throws std::runtime_error(what).
  Op throws(int id, milliseconds delay, std::string what) { return simulate(*this, id, delay, 0, std::move(what)); }

  /// "not started", "running", "cleaning up", "completed" or "aborted".
  std::string state(int id) { return states_.state(id); }

  /// Milliseconds since the lab was made.
  long long now_ms() const { return kata::ms_since(start); }

  /// Runs `body` on the io_context until everything has finished (at most 5 s)
  /// and returns what it returned (rethrows what it threw).
  template <class T>
  T run(asio::awaitable<T> body) {
    return kata::run_coroutine(ctx, std::move(body));
  }

 private:
  static Op simulate(Lab& lab, int id, milliseconds delay, int value, std::string what) {
    std::string& state = lab.states_.start(id);
    const auto ec = co_await kata::timer_outcome(delay);
    if (ec) {
      // Clean up politely, which takes a round trip. The request that
      // cancelled us must not cancel the clean-up too: reset the state.
      state = "cleaning up";
      co_await asio::this_coro::reset_cancellation_state();
      co_await kata::async_sleep(30ms);  // the goodbye
      state = ec == asio::error::operation_aborted ? "aborted" : "failed: " + ec.message();
      throw boost::system::system_error(ec);
    }
    state = "completed";
    if (!what.empty()) throw std::runtime_error(what);
    co_return value;
  }
};

/// What an awaited operation gave: "value N", "error: <what>" or
/// "system_error: <code name>" ("operation_aborted", "timed_out").
struct Seen {
  std::string outcome;
  long long at_ms = -1;  ///< when the awaiter resumed
};

std::string code_name(const boost::system::error_code& ec) {
  if (ec == asio::error::operation_aborted) return "operation_aborted";
  if (ec == asio::error::timed_out) return "timed_out";
  return ec.message();
}

/// Awaits `op` and describes how it ended, instead of letting it throw.
asio::awaitable<Seen> outcome_of(Lab& lab, Op op) {
  Seen seen;
  try {
    seen.outcome = "value " + std::to_string(co_await std::move(op));
  } catch (const boost::system::system_error& e) {
    seen.outcome = "system_error: " + code_name(e.code());
  } catch (const std::exception& e) {
    seen.outcome = std::string("error: ") + e.what();
  }
  seen.at_ms = lab.now_ms();
  co_return seen;
}

/// What a test sees of a task that it cancels 50 ms after starting it.
struct CancelledTask {
  Seen seen;                       ///< what awaiting its result() gave
  std::string state_when_resumed;  ///< the state of operation 0 at that moment
  bool done_before = true;         ///< done() right after cancel()
  bool done_after = false;         ///< done() once result() has resumed
  bool cancelled_after = true;     ///< cancelled() once result() has resumed
};

/// Runs `op` as a Task, cancels the task 50 ms later and awaits its result.
CancelledTask cancel_after_50ms(Lab& lab, Op op) {
  CancelledTask c;
  auto body = [&]() -> asio::awaitable<Seen> {
    auto ex = co_await asio::this_coro::executor;
    Task task(ex, std::move(op));
    co_await kata::async_sleep(50ms);
    task.cancel();
    c.done_before = task.done();  // cancel() only asks; the operation has not stopped yet
    Seen seen = co_await outcome_of(lab, task.result());
    c.state_when_resumed = lab.state(0);
    c.done_after = task.done();
    c.cancelled_after = task.cancelled();
    co_return seen;
  };
  c.seen = lab.run(body());
  return c;
}

/// Sleeps `delay` and returns 1; cancelled, it handles the cancellation
/// itself and returns -1 instead of ending with operation_aborted.
Op returns_when_cancelled(milliseconds delay) {
  const auto ec = co_await kata::timer_outcome(delay);
  co_return ec ? -1 : 1;
}

}  // namespace

// ------------------------------------------------------------- with_timeout

TEST_CASE("with_timeout returns the value of an operation that finishes before the deadline",
          "[28-timeout-cancel][req:1][unit]") {
  Lab lab;
  Seen seen = lab.run(outcome_of(lab, with_timeout(lab.returns(0, 50ms, 7), 2000ms)));
  CHECK(seen.outcome == "value 7");
  CHECK(lab.state(0) == "completed");
  INFO("with_timeout must return when the operation finishes, not wait for the 2 s timer");
  CHECK(seen.at_ms < 1000);
}

TEST_CASE("with_timeout cancels the operation at the deadline and throws timed_out after its clean-up has run",
          "[28-timeout-cancel][req:2][unit]") {
  Lab lab;
  std::string state_when_resumed;
  auto body = [&]() -> asio::awaitable<Seen> {
    Seen seen = co_await outcome_of(lab, with_timeout(lab.returns(0, 1500ms, 7), 100ms));
    state_when_resumed = lab.state(0);
    co_return seen;
  };
  Seen seen = lab.run(body());
  CHECK(seen.outcome == "system_error: timed_out");
  INFO("when with_timeout throws, the operation must already have stopped: its timer ended with "
       "operation_aborted and its clean-up ran ('running' = never cancelled, 'cleaning up' = not awaited)");
  CHECK(state_when_resumed == "aborted");
  CHECK(lab.state(0) == "aborted");
  CHECK(seen.at_ms < 1000);
}

TEST_CASE("with_timeout rethrows the operation's own error as soon as it fails", "[28-timeout-cancel][req:1][unit]") {
  Lab lab;
  Seen seen = lab.run(outcome_of(lab, with_timeout(lab.throws(0, 50ms, "boom"), 1500ms)));
  INFO("an error before the deadline is the operation's error, not a timeout (operator || waits for a success)");
  CHECK(seen.outcome == "error: boom");
  CHECK(seen.at_ms < 1000);
}

TEST_CASE("cancelling the caller of with_timeout cancels the operation and reports cancellation, not a timeout",
          "[28-timeout-cancel][req:3][unit]") {
  Lab lab;
  const CancelledTask caller = cancel_after_50ms(lab, with_timeout(lab.returns(0, 1500ms, 7), 1000ms));
  CHECK(caller.seen.outcome == "system_error: operation_aborted");
  CHECK(caller.state_when_resumed == "aborted");
  INFO("the caller's cancellation must stop the timer too, not wait for the 1 s deadline");
  CHECK(caller.seen.at_ms < 800);
}

// --------------------------------------------------------------------- Task

TEST_CASE("a cancelled task reports operation_aborted to its awaiter after the operation's clean-up has run",
          "[28-timeout-cancel][req:4][unit]") {
  Lab lab;
  const CancelledTask task = cancel_after_50ms(lab, lab.returns(0, 1500ms, 7));
  INFO("awaiting a cancelled task must throw operation_aborted, not return a value");
  CHECK(task.seen.outcome == "system_error: operation_aborted");
  INFO("result() must resume only after the operation stopped: its timer aborted and its clean-up ran");
  CHECK(task.state_when_resumed == "aborted");
  CHECK_FALSE(task.done_before);
  CHECK(task.done_after);
  CHECK(task.cancelled_after);
  CHECK(task.seen.at_ms < 1000);
}

TEST_CASE("a task that is not cancelled gives its value or its error, and cancel after the end changes nothing",
          "[28-timeout-cancel][req:4][unit]") {
  Lab lab;
  bool returned_cancelled = true, failed_cancelled = true;
  auto body = [&]() -> asio::awaitable<std::string> {
    auto ex = co_await asio::this_coro::executor;
    Task returned(ex, lab.returns(0, 50ms, 7));
    Task failed(ex, lab.throws(1, 50ms, "boom"));
    Seen value = co_await outcome_of(lab, returned.result());
    Seen error = co_await outcome_of(lab, failed.result());
    returned.cancel();
    Seen again = co_await outcome_of(lab, returned.result());
    returned_cancelled = returned.cancelled();
    failed_cancelled = failed.cancelled();
    co_return value.outcome + ", " + error.outcome + ", " + again.outcome;
  };
  CHECK(lab.run(body()) == "value 7, error: boom, value 7");
  CHECK_FALSE(returned_cancelled);
  CHECK_FALSE(failed_cancelled);
}

TEST_CASE("a task whose operation handles its cancellation and returns a value is not cancelled",
          "[28-timeout-cancel][req:4][unit]") {
  Lab lab;
  const CancelledTask task = cancel_after_50ms(lab, returns_when_cancelled(1500ms));
  CHECK(task.seen.outcome == "value -1");
  CHECK(task.done_after);
  INFO("cancelled() tells how the operation ended (with operation_aborted), not whether cancel() was called");
  CHECK_FALSE(task.cancelled_after);
  CHECK(task.seen.at_ms < 1000);
}

TEST_CASE("a task keeps running when only the wait for its result is cancelled", "[28-timeout-cancel][req:5][unit]") {
  Lab lab;
  std::string state_when_timed_out;
  auto body = [&]() -> asio::awaitable<std::string> {
    auto ex = co_await asio::this_coro::executor;
    Task task(ex, lab.returns(0, 300ms, 7));
    Seen waited = co_await outcome_of(lab, with_timeout(task.result(), 50ms));
    state_when_timed_out = lab.state(0);
    Seen later = co_await outcome_of(lab, task.result());
    co_return waited.outcome + ", then " + later.outcome;
  };
  CHECK(lab.run(body()) == "system_error: timed_out, then value 7");
  CHECK(state_when_timed_out == "running");
  CHECK(lab.state(0) == "completed");
}

// ------------------------------------------------------------------- shield

TEST_CASE("with_timeout of a shielded operation times out while the operation runs on to its end",
          "[28-timeout-cancel][req:2][req:6][unit]") {
  Lab lab;
  std::string state_when_resumed;
  auto body = [&]() -> asio::awaitable<Seen> {
    Seen seen = co_await outcome_of(lab, with_timeout(shield(lab.returns(0, 300ms, 7)), 50ms));
    state_when_resumed = lab.state(0);
    co_return seen;
  };
  Seen seen = lab.run(body());
  CHECK(seen.outcome == "system_error: timed_out");
  INFO("the timeout ends the wait at once; the shielded operation is still running then");
  CHECK(state_when_resumed == "running");
  CHECK(seen.at_ms < 250);
  INFO("the caller's cancellation must not reach the shielded operation: it runs to its end");
  CHECK(lab.state(0) == "completed");
}

TEST_CASE("cancelling a task that awaits a shielded operation reports cancellation at once and the operation runs on",
          "[28-timeout-cancel][req:6][unit]") {
  Lab lab;
  const CancelledTask caller = cancel_after_50ms(lab, shield(lab.returns(0, 300ms, 7)));
  CHECK(caller.seen.outcome == "system_error: operation_aborted");
  CHECK(caller.state_when_resumed == "running");
  CHECK(lab.state(0) == "completed");
}

TEST_CASE("shield gives the operation's value or error when nobody cancels", "[28-timeout-cancel][req:6][unit]") {
  Lab lab;
  auto body = [&]() -> asio::awaitable<std::string> {
    Seen value = co_await outcome_of(lab, shield(lab.returns(0, 50ms, 7)));
    Seen error = co_await outcome_of(lab, shield(lab.throws(1, 50ms, "boom")));
    co_return value.outcome + ", " + error.outcome;
  };
  CHECK(lab.run(body()) == "value 7, error: boom");
}

// ------------------------------------------------------- several awaiters

TEST_CASE("every coroutine awaiting one task's result gets its value, and after a cancel each gets operation_aborted",
          "[28-timeout-cancel][req:4][unit]") {
  Lab lab;
  auto body = [&]() -> asio::awaitable<std::string> {
    auto ex = co_await asio::this_coro::executor;
    Task finishes(ex, lab.returns(0, 100ms, 7));
    Task cancelled(ex, lab.returns(1, 1500ms, 8));
    // Three awaiters each, all waiting when the operation ends.
    Task a(ex, finishes.result());
    Task b(ex, finishes.result());
    Task c(ex, finishes.result());
    Task d(ex, cancelled.result());
    Task e(ex, cancelled.result());
    Task f(ex, cancelled.result());
    co_await kata::async_sleep(50ms);
    cancelled.cancel();
    std::string all;
    for (Task* t : {&a, &b, &c, &d, &e, &f}) {
      Seen seen = co_await outcome_of(lab, with_timeout(t->result(), 2000ms));
      all += seen.outcome + "; ";
    }
    co_return all;
  };
  const std::string all = lab.run(body());
  INFO("when the operation ends, every waiting result() must resume, not just one of them");
  CHECK(all ==
        "value 7; value 7; value 7; system_error: operation_aborted; system_error: operation_aborted; "
        "system_error: operation_aborted; ");
  CHECK(lab.state(1) == "aborted");
}

TEST_CASE("cancelling one awaiter's wait leaves the task and its other awaiters waiting for the value",
          "[28-timeout-cancel][req:5][unit]") {
  Lab lab;
  std::string state_when_first_gave_up;
  auto body = [&]() -> asio::awaitable<std::string> {
    auto ex = co_await asio::this_coro::executor;
    Task task(ex, lab.returns(0, 300ms, 7));
    Task impatient(ex, task.result());
    Task patient(ex, task.result());
    co_await kata::async_sleep(50ms);
    impatient.cancel();
    Seen first = co_await outcome_of(lab, with_timeout(impatient.result(), 2000ms));
    state_when_first_gave_up = lab.state(0);
    Seen second = co_await outcome_of(lab, with_timeout(patient.result(), 2000ms));
    co_return first.outcome + ", " + second.outcome + (task.cancelled() ? ", task cancelled" : "");
  };
  CHECK(lab.run(body()) == "system_error: operation_aborted, value 7");
  CHECK(state_when_first_gave_up == "running");
  CHECK(lab.state(0) == "completed");
}

TEST_CASE("a task starts its operation at once and runs it to the end even when nobody awaits its result",
          "[28-timeout-cancel][req:4][unit]") {
  Lab lab;
  bool done_before = true;
  bool done_after = false;
  std::string state_after;
  auto body = [&]() -> asio::awaitable<std::string> {
    auto ex = co_await asio::this_coro::executor;
    Task task(ex, lab.returns(0, 50ms, 7));
    done_before = task.done();
    co_await kata::async_sleep(300ms);  // nobody awaits result() meanwhile
    done_after = task.done();
    state_after = lab.state(0);
    Seen seen = co_await outcome_of(lab, task.result());
    co_return seen.outcome + " at " + (seen.at_ms < 1000 ? "once" : "late");
  };
  CHECK(lab.run(body()) == "value 7 at once");
  CHECK_FALSE(done_before);
  CHECK(state_after == "completed");
  CHECK(done_after);
}
