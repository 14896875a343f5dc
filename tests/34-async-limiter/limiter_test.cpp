// Tests of 34-async-limiter: AsyncSemaphore (never more than k holders, k
// reached, FIFO, no barging, cancellation leaves the queue, no blocked thread)
// and RateLimiter (burst then rate over every window, FIFO, no saving up while
// idle).
//
// Everything runs on one io_context in the main thread. Holders "work" by
// sleeping on a steady_timer and record when they held a permit, so the tests
// judge the limit by overlap of recorded intervals and the rate by grant times
// with generous bounds (a timer never fires early; it may fire late). run()
// bounds each test with ctx.run_for(5s) (kata/asio_test.hpp).
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "kata/asio_test.hpp"
#include "kata/test.hpp"
#include "limiter.hpp"

namespace {

using namespace limiter;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
using std::chrono::milliseconds;

/// The lab: one io_context, interval records, and run() with a deadline.
class Lab {
 public:
  asio::io_context ctx;
  kata::IntervalRecorder intervals;

  asio::any_io_executor ex() { return ctx.get_executor(); }

  /// Starts every coroutine, runs the io_context until all have finished (at
  /// most 5 s) and rethrows the first exception one of them threw.
  void run(std::vector<asio::awaitable<void>> bodies) {
    std::vector<std::future<void>> done;
    for (auto& body : bodies) done.push_back(asio::co_spawn(ctx, std::move(body), asio::use_future));
    kata::run_io(ctx);
    for (std::size_t i = 0; i < done.size(); ++i) {
      CAPTURE(i);
      if (!kata::ready_within(done[i], 0s)) FAIL("coroutine " << i << " did not finish within 5 s: it waits forever");
      done[i].get();
    }
  }

  /// The same for a fixed list: lab.run(holder(), waiter()).
  template <class... More>
  void run(asio::awaitable<void> first, More... more) {
    std::vector<asio::awaitable<void>> bodies;
    bodies.push_back(std::move(first));
    (bodies.push_back(std::move(more)), ...);
    run(std::move(bodies));
  }
};

/// Acquires a permit, holds it for `hold`, notes in `waiting` how many
/// waiters are queued just before it releases the permit.
asio::awaitable<void> hold_and_count_waiters(AsyncSemaphore& sem, milliseconds hold, std::size_t& waiting) {
  co_await sem.acquire();
  co_await kata::async_sleep(hold);
  waiting = sem.waiting();
  sem.release();
}

/// Waits for a permit, appends `name` to `order` when it gets it, holds it
/// 10 ms and releases it.
template <class Name>
asio::awaitable<void> take_turn(AsyncSemaphore& sem, std::vector<Name>& order, Name name) {
  co_await sem.acquire();
  order.push_back(std::move(name));
  co_await kata::async_sleep(10ms);
  sem.release();
}

/// A completion handler for a co_spawned acquire(): writes into `outcome`
/// how it ended: "returned normally", "operation_aborted" or the error's text.
auto outcome_into(std::string& outcome) {
  return [&outcome](std::exception_ptr error) {
    outcome = "returned normally";
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const boost::system::system_error& e) {
      outcome = e.code() == asio::error::operation_aborted ? "operation_aborted" : e.what();
    } catch (const std::exception& e) {
      outcome = e.what();
    }
  };
}

}  // namespace

// ------------------------------------------------------------------ semaphore

TEST_CASE("the semaphore never lets more than k holders in at once and does let k in", "[34-async-limiter][req:1][unit]") {
  Lab lab;
  AsyncSemaphore sem(lab.ex(), 3);
  auto worker = [&]() -> asio::awaitable<void> {
    co_await sem.acquire();
    {
      auto held = lab.intervals.record("holder");
      co_await kata::async_sleep(100ms);
    }
    sem.release();
  };
  std::vector<asio::awaitable<void>> bodies;
  for (int i = 0; i < 9; ++i) bodies.push_back(worker());
  lab.run(std::move(bodies));
  REQUIRE(lab.intervals.size() == 9);
  INFO("the most holders at one instant, with k = 3 and 9 workers holding 100 ms each");
  CHECK(lab.intervals.max_overlap() == 3);
  CHECK(sem.available() == 3);
  CHECK(sem.waiting() == 0);
}

TEST_CASE("a waiting acquire suspends only its coroutine: the thread keeps running others", "[34-async-limiter][req:2][unit]") {
  Lab lab;
  AsyncSemaphore sem(lab.ex(), 1);
  kata::Clock::time_point released, granted;
  bool waiter_done = false;
  int ticks_before_grant = -1;
  std::size_t waiting_seen = 0;
  auto holder = [&]() -> asio::awaitable<void> {
    co_await sem.acquire();
    co_await kata::async_sleep(200ms);
    waiting_seen = sem.waiting();
    released = kata::Clock::now();
    sem.release();
  };
  int ticks = 0;
  auto waiter = [&]() -> asio::awaitable<void> {
    co_await sem.acquire();
    granted = kata::Clock::now();
    ticks_before_grant = ticks;
    waiter_done = true;
    sem.release();
  };
  auto heartbeat = [&]() -> asio::awaitable<void> {
    while (!waiter_done && ticks < 200) {
      co_await kata::async_sleep(20ms);
      ++ticks;
    }
  };
  lab.run(holder(), waiter(), heartbeat());
  CHECK(waiting_seen == 1);
  INFO("a 20 ms heartbeat on the same thread must keep ticking while the waiter waits 200 ms");
  CHECK(ticks_before_grant >= 5);
  INFO("the waiter may get the permit only after the holder released it");
  CHECK(granted >= released);
}

TEST_CASE("waiters get permits in the order they called acquire", "[34-async-limiter][req:3][unit]") {
  Lab lab;
  AsyncSemaphore sem(lab.ex(), 1);
  std::vector<int> order;
  std::size_t queued = 0;
  std::vector<asio::awaitable<void>> bodies;
  bodies.push_back(hold_and_count_waiters(sem, 100ms, queued));
  for (int id = 0; id < 6; ++id) bodies.push_back(take_turn(sem, order, id));  // they start, and queue, in this order
  lab.run(std::move(bodies));
  CHECK(queued == 6);
  INFO("first come, first served: a waiter served out of order can starve under steady load");
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("a released permit goes to the queued waiter, not to a newcomer", "[34-async-limiter][req:3][unit]") {
  Lab lab;
  AsyncSemaphore sem(lab.ex(), 1);
  std::vector<std::string> order;
  auto holder = [&]() -> asio::awaitable<void> {
    co_await sem.acquire();
    co_await kata::async_sleep(50ms);
    sem.release();
    co_await sem.acquire();  // at once again: the waiter queued first
    order.push_back("holder again");
    sem.release();
  };
  auto waiter = [&]() -> asio::awaitable<void> {
    co_await sem.acquire();
    order.push_back("waiter");
    sem.release();
  };
  lab.run(holder(), waiter());
  INFO("release() must hand the permit to the waiter; if it only frees it, the releaser takes it back (barging)");
  CHECK(order == std::vector<std::string>{"waiter", "holder again"});
}

TEST_CASE("a cancelled acquire leaves the queue without taking a permit", "[34-async-limiter][req:4][unit]") {
  Lab lab;
  AsyncSemaphore sem(lab.ex(), 1);
  std::size_t which_won = 99, waiting_after_cancel = 99;
  int available_while_b_holds = -1;
  bool holder_released = false, b_granted_after_release = false;
  auto holder = [&]() -> asio::awaitable<void> {
    co_await sem.acquire();
    co_await kata::async_sleep(150ms);
    holder_released = true;
    sem.release();
  };
  auto impatient = [&]() -> asio::awaitable<void> {
    auto result = co_await (sem.acquire() || kata::async_sleep(50ms));  // gives up after 50 ms
    which_won = result.index();
  };
  auto probe = [&]() -> asio::awaitable<void> {
    co_await kata::async_sleep(100ms);
    waiting_after_cancel = sem.waiting();
  };
  auto patient = [&]() -> asio::awaitable<void> {
    co_await sem.acquire();
    b_granted_after_release = holder_released;
    available_while_b_holds = sem.available();
    sem.release();
  };
  lab.run(holder(), impatient(), patient(), probe());
  INFO("the impatient acquire was queued first and cancelled by its 50 ms timeout");
  REQUIRE(which_won == 1);
  CHECK(waiting_after_cancel == 1);
  CHECK(b_granted_after_release);
  CHECK(available_while_b_holds == 0);
  INFO("a permit given to a cancelled waiter would be lost for good");
  CHECK(sem.available() == 1);
  CHECK(sem.waiting() == 0);
}

TEST_CASE("a waiter cancelled in the middle of the queue leaves it and the others keep their order",
          "[34-async-limiter][req:3][req:4][unit]") {
  // Queue: 0, 1 (cancelled by its timeout while 0 still waits), 2. The
  // cancelled waiter must take itself out, not whoever is at the front.
  Lab lab;
  AsyncSemaphore sem(lab.ex(), 1);
  std::vector<std::string> order;
  std::size_t waiting_after_cancel = 99;
  auto impatient = [&]() -> asio::awaitable<void> {
    auto result = co_await (sem.acquire() || kata::async_sleep(50ms));
    order.push_back(result.index() == 1 ? "1 gave up" : "1 got a permit");
    if (result.index() == 0) sem.release();
  };
  lab.run(hold_and_count_waiters(sem, 150ms, waiting_after_cancel), take_turn(sem, order, std::string("waiter 0")),
          impatient(), take_turn(sem, order, std::string("waiter 2")));
  CHECK(waiting_after_cancel == 2);
  CHECK(order == std::vector<std::string>{"1 gave up", "waiter 0", "waiter 2"});
  CHECK(sem.available() == 1);
  CHECK(sem.waiting() == 0);
}

TEST_CASE("a cancelled acquire throws operation_aborted and holds no permit", "[34-async-limiter][req:4][unit]") {
  Lab lab;
  AsyncSemaphore sem(lab.ex(), 1);
  asio::cancellation_signal cancel;
  std::string outcome = "acquire still waiting";
  int available_after = -1;
  std::size_t waiting_after = 99;
  auto body = [&]() -> asio::awaitable<void> {
    co_await sem.acquire();  // the only permit: the next acquire waits
    asio::co_spawn(lab.ex(), sem.acquire(), asio::bind_cancellation_slot(cancel.slot(), outcome_into(outcome)));
    co_await kata::async_sleep(30ms);
    cancel.emit(asio::cancellation_type::terminal);
    co_await kata::async_sleep(30ms);
    waiting_after = sem.waiting();
    sem.release();
    available_after = sem.available();
  };
  lab.run(body());
  INFO("a cancelled acquire must throw operation_aborted: returning normally tells the caller it holds a permit");
  CHECK(outcome == "operation_aborted");
  CHECK(waiting_after == 0);
  CHECK(available_after == 1);
}

TEST_CASE("a waiter cancelled in the same turn as a release passes the permit on instead of keeping it",
          "[34-async-limiter][req:4][unit]") {
  // The cancellation comes first, then release() hands the permit to the
  // waiter before it has run again (a timeout and a release in one turn of
  // the loop). The cancelled waiter must still throw operation_aborted, and
  // the permit must go on to the next waiter: under `acquire() || timer` the
  // caller has taken the timer's side, so a permit kept would be nobody's.
  Lab lab;
  AsyncSemaphore sem(lab.ex(), 1);
  asio::cancellation_signal cancel;
  std::string first = "still waiting", second = "still waiting";
  int available_after = -1;
  auto body = [&]() -> asio::awaitable<void> {
    co_await sem.acquire();  // the only permit
    asio::co_spawn(lab.ex(), sem.acquire(), asio::bind_cancellation_slot(cancel.slot(), outcome_into(first)));
    asio::co_spawn(lab.ex(), sem.acquire(), outcome_into(second));
    co_await kata::async_sleep(30ms);  // both queued, first in front
    cancel.emit(asio::cancellation_type::terminal);
    sem.release();  // same turn: the first waiter has not run since its cancellation
    co_await kata::async_sleep(30ms);
    if (second == "returned normally") sem.release();  // the second one's permit, given back
    co_await kata::async_sleep(30ms);
    available_after = sem.available();
  };
  lab.run(body());
  CHECK(first == "operation_aborted");
  INFO("the permit the cancelled waiter was handed must go on to the next waiter");
  CHECK(second == "returned normally");
  CHECK(available_after == 1);
  CHECK(sem.waiting() == 0);
}

TEST_CASE("try_acquire takes a free permit but never waits and never overtakes the queue", "[34-async-limiter][req:1][req:3][unit]") {
  Lab lab;
  AsyncSemaphore sem(lab.ex(), 1);
  std::vector<bool> tries;
  auto holder = [&]() -> asio::awaitable<void> {
    tries.push_back(sem.try_acquire());  // free: true
    tries.push_back(sem.try_acquire());  // none free: false, at once
    co_await kata::async_sleep(20ms);    // the waiter queues up meanwhile
    sem.release();                       // handed to the waiter
    tries.push_back(sem.try_acquire());  // the waiter holds it: false
    co_await kata::async_sleep(100ms);
    tries.push_back(sem.try_acquire());  // the waiter gave it back: true
    sem.release();
  };
  auto waiter = [&]() -> asio::awaitable<void> {
    co_await sem.acquire();
    co_await kata::async_sleep(20ms);
    sem.release();
  };
  lab.run(holder(), waiter());
  CHECK(tries == std::vector<bool>{true, false, false, true});
  CHECK(sem.available() == 1);
}

TEST_CASE("a semaphore of zero permits waits for a release, and bad arguments are rejected", "[34-async-limiter][req:1][req:5][unit]") {
  Lab lab;
  AsyncSemaphore sem(lab.ex(), 0);
  bool got = false, got_before_release = true;
  auto taker = [&]() -> asio::awaitable<void> {
    co_await sem.acquire();
    got = true;
  };
  auto giver = [&]() -> asio::awaitable<void> {
    co_await kata::async_sleep(20ms);
    got_before_release = got;
    sem.release();
  };
  lab.run(taker(), giver());
  CHECK_FALSE(got_before_release);
  CHECK(got);
  CHECK_THROWS_AS(AsyncSemaphore(lab.ex(), -1), std::invalid_argument);
  CHECK_THROWS_AS(RateLimiter(lab.ex(), 0.0, 1), std::invalid_argument);
  CHECK_THROWS_AS(RateLimiter(lab.ex(), 10.0, 0), std::invalid_argument);
}

// --------------------------------------------------------------- rate limiter

TEST_CASE("the rate limiter lets a burst through at once, then at most rate per second, in arrival order",
          "[34-async-limiter][req:6][unit]") {
  constexpr double kRate = 20;  // one token every 50 ms
  constexpr int kBurst = 3, kCallers = 9;
  Lab lab;
  RateLimiter limiter(lab.ex(), kRate, kBurst);
  std::vector<int> order;
  std::vector<kata::Clock::time_point> at;
  auto caller = [&](int id) -> asio::awaitable<void> {
    co_await limiter.acquire();
    order.push_back(id);
    at.push_back(kata::Clock::now());
  };
  std::vector<asio::awaitable<void>> bodies;
  for (int id = 0; id < kCallers; ++id) bodies.push_back(caller(id));
  lab.run(std::move(bodies));
  REQUIRE(at.size() == kCallers);
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8});
  INFO("the first " << kBurst << " come from the full bucket, at once (ms after the first): "
                    << kata::ms_between(at[0], at[kBurst - 1]));
  CHECK(kata::ms_between(at[0], at[kBurst - 1]) < 40);
  // Over every window [at[i], at[j]], no more than burst + rate * window
  // acquisitions (plus one, generously).
  for (int i = 0; i < kCallers; ++i) {
    for (int j = i + 1; j < kCallers; ++j) {
      const double window_s = kata::ms_between(at[i], at[j]) / 1000;
      CAPTURE(i, j, window_s);
      CHECK(j - i + 1 <= kBurst + kRate * window_s + 1);
    }
  }
  INFO("6 tokens after the burst take 300 ms to earn; the limiter must not be much slower either");
  CHECK(kata::ms_between(at[0], at[kCallers - 1]) < 1300);
}

TEST_CASE("an idle rate limiter saves up no more than its burst", "[34-async-limiter][req:7][unit]") {
  constexpr double kRate = 20;
  constexpr int kBurst = 2;
  Lab lab;
  RateLimiter limiter(lab.ex(), kRate, kBurst);
  std::vector<double> after_ms;
  auto body = [&]() -> asio::awaitable<void> {
    co_await kata::async_sleep(400ms);  // idle: 8 tokens' worth of time, but the bucket holds 2
    const auto start = kata::Clock::now();
    for (int i = 0; i < 6; ++i) {
      co_await limiter.acquire();
      after_ms.push_back(kata::ms_between(start, kata::Clock::now()));
    }
  };
  lab.run(body());
  REQUIRE(after_ms.size() == 6);
  int at_once = 0;
  for (double ms : after_ms) at_once += ms < 25 ? 1 : 0;
  INFO("acquisitions within 25 ms after 400 ms of idling, with burst " << kBurst);
  CHECK(at_once >= kBurst);
  CHECK(at_once <= kBurst + 1);
}

TEST_CASE("the rate limiter's try_acquire spends only earned tokens and never waits", "[34-async-limiter][req:6][req:7][unit]") {
  Lab lab;
  RateLimiter limiter(lab.ex(), 20, 2);  // a token every 50 ms
  std::vector<bool> tries;
  auto body = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < 3; ++i) tries.push_back(limiter.try_acquire());  // the burst of 2, then none
    co_await kata::async_sleep(70ms);  // one more token earned
    for (int i = 0; i < 2; ++i) tries.push_back(limiter.try_acquire());
  };
  lab.run(body());
  CHECK(tries == std::vector<bool>{true, true, false, true, false});
}

TEST_CASE("a rate limiter asked often still earns its tokens at the rate", "[34-async-limiter][req:6][unit]") {
  // A token every 200 ms, asked every 10 ms: each call sees a twentieth of a
  // token more. Those fractions add up: over 1 s about 5 tokens are earned,
  // however often the limiter is asked.
  constexpr double kRate = 5;
  Lab lab;
  RateLimiter limiter(lab.ex(), kRate, 1);
  int burst_taken = 0, earned = 0;
  double elapsed_ms = 0;
  auto body = [&]() -> asio::awaitable<void> {
    while (limiter.try_acquire()) ++burst_taken;  // empty the bucket
    const auto start = kata::Clock::now();
    while (kata::ms_between(start, kata::Clock::now()) < 1000) {
      co_await kata::async_sleep(10ms);
      if (limiter.try_acquire()) ++earned;
    }
    elapsed_ms = kata::ms_between(start, kata::Clock::now());
  };
  lab.run(body());
  CAPTURE(burst_taken, elapsed_ms);
  REQUIRE(burst_taken == 1);
  INFO("tokens earned in about 1 s at 5 per second, asked every 10 ms: keep the fractions of a token");
  CHECK(earned >= 4);
  CHECK(earned <= 1 + kRate * elapsed_ms / 1000 + 1);
}
