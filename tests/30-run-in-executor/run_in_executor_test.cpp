// Tests of 30-run-in-executor: a blocking function awaited through
// run_blocking runs on the pool, the event loop keeps ticking meanwhile, the
// caller resumes on the loop's thread, and the function's exception comes out
// of the co_await.
//
// The event loop is an io_context run by the main thread. A heartbeat
// coroutine on it ticks every 20 ms; the blocking function records how many
// ticks happened while it slept: a blocked loop cannot tick. Worker threads
// only record (atomics, IntervalRecorder); the main thread asserts.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "kata/test.hpp"
#include "run_in_executor.hpp"

namespace {

using namespace run_in_executor;
using namespace std::chrono_literals;

/// The lab: the loop (io_context, run by the main thread), a pool and run().
struct Lab {
  asio::thread_pool pool{2};
  asio::io_context ctx;
  std::atomic<int> ticks{0};
  bool stop_heartbeat = false;  // loop thread only
  std::exception_ptr heartbeat_error;

  ~Lab() { pool.join(); }

  /// Ticks every 20 ms on the loop until stop_heartbeat is set.
  asio::awaitable<void> heartbeat() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!stop_heartbeat) {
      timer.expires_after(20ms);
      co_await timer.async_wait(asio::use_awaitable);
      ticks.fetch_add(1);
    }
  }

  /// Stops the heartbeat when the test's coroutine ends, however it ends
  /// (a stub that throws must not keep the loop busy until run_for's 5 s).
  struct HeartbeatStopper {
    Lab& lab;
    ~HeartbeatStopper() { lab.stop_heartbeat = true; }
  };

  void start_heartbeat() {
    asio::co_spawn(ctx, heartbeat(), [this](std::exception_ptr e) { heartbeat_error = e; });
  }

  /// Runs `body` on the loop until everything has finished (at most 5 s).
  template <class T>
  T run(asio::awaitable<T> body) {
    auto result = asio::co_spawn(ctx, std::move(body), asio::use_future);
    ctx.restart();
    ctx.run_for(5s);
    if (!kata::ready_within(result, 0s)) FAIL("the test's coroutine did not finish within 5 s: something hangs");
    REQUIRE_FALSE(heartbeat_error);
    return result.get();
  }
};

}  // namespace

TEST_CASE("the event loop keeps running while a blocking function runs on the pool",
          "[30-run-in-executor][unit][req:1][req:2][req:6]") {
  Lab lab;
  const auto loop_thread = std::this_thread::get_id();
  std::atomic<int> ticks_at_start{-1}, ticks_at_end{-1};
  std::thread::id fn_thread;
  auto blocking = [&] {
    fn_thread = std::this_thread::get_id();
    ticks_at_start = lab.ticks.load();
    std::this_thread::sleep_for(300ms);  // the blocking call: e.g. a slow disk read
    ticks_at_end = lab.ticks.load();
    return 7;
  };
  auto body = [&]() -> asio::awaitable<int> {
    lab.start_heartbeat();
    Lab::HeartbeatStopper stopper{lab};
    co_return co_await run_blocking(lab.pool, blocking);
  };
  REQUIRE(lab.run(body()) == 7);
  const int ticks_during = ticks_at_end - ticks_at_start;
  CAPTURE(ticks_during);
  INFO("a 300 ms blocking call on the pool must leave the loop free: expect about 15 heartbeats of 20 ms");
  CHECK(ticks_during >= 5);
  CHECK(fn_thread != loop_thread);
}

TEST_CASE("the awaiting coroutine resumes on the event loop's thread, not on the pool",
          "[30-run-in-executor][unit][req:3][req:6]") {
  Lab lab;
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id resumed_on;
  auto blocking = [] {
    std::this_thread::sleep_for(50ms);
    return 1;
  };
  auto body = [&]() -> asio::awaitable<int> {
    const int value = co_await run_blocking(lab.pool, blocking);
    resumed_on = std::this_thread::get_id();
    co_return value;
  };
  REQUIRE(lab.run(body()) == 1);
  INFO("code after the co_await touches the loop's state: it must run on the loop's thread");
  CHECK(resumed_on == loop_thread);
}

TEST_CASE("an exception thrown by the blocking function comes out of the co_await", "[30-run-in-executor][unit][req:4]") {
  Lab lab;
  auto failing = []() -> int { throw std::runtime_error("disk on fire"); };
  auto body = [&]() -> asio::awaitable<std::string> {
    try {
      const int value = co_await run_blocking(lab.pool, failing);
      co_return "returned " + std::to_string(value) + " instead of throwing";
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
  };
  REQUIRE(lab.run(body()) == "disk on fire");
}

TEST_CASE("two blocking calls awaited together run at once on a pool of two threads",
          "[30-run-in-executor][unit][req:5][req:6]") {
  using namespace asio::experimental::awaitable_operators;
  Lab lab;
  kata::IntervalRecorder intervals;
  auto sleeper = [&](int value) {
    return [&intervals, value] {
      auto scope = intervals.record("sleep " + std::to_string(value));
      std::this_thread::sleep_for(200ms);
      return value;
    };
  };
  auto first = sleeper(1);
  auto second = sleeper(2);
  auto body = [&]() -> asio::awaitable<int> {
    auto [a, b] = co_await (run_blocking(lab.pool, first) && run_blocking(lab.pool, second));
    co_return a * 10 + b;
  };
  REQUIRE(lab.run(body()) == 12);
  CHECK(intervals.max_overlap() == 2);
  CHECK(intervals.thread_count() == 2);
}

TEST_CASE("the blocking function runs on a thread of the pool it was given", "[30-run-in-executor][unit][req:1]") {
  Lab lab;
  std::atomic<bool> on_given_pool{false};
  auto blocking = [&] {
    on_given_pool = lab.pool.get_executor().running_in_this_thread();
    return 3;
  };
  auto body = [&]() -> asio::awaitable<int> { co_return co_await run_blocking(lab.pool, blocking); };
  REQUIRE(lab.run(body()) == 3);
  INFO("fn must run on `pool` (whose threads the caller sized and owns), not on a thread or pool of its own");
  CHECK(on_given_pool);
}

TEST_CASE("an exception comes out of the co_await with the type it was thrown with", "[30-run-in-executor][unit][req:4]") {
  Lab lab;
  auto bad_argument = []() -> int { throw std::invalid_argument("no such file"); };
  auto not_std = []() -> int { throw 42; };
  auto body = [&]() -> asio::awaitable<std::string> {
    std::string seen;
    try {
      co_await run_blocking(lab.pool, bad_argument);
      seen += "returned; ";
    } catch (const std::invalid_argument& e) {
      seen += std::string("invalid_argument: ") + e.what() + "; ";
    } catch (const std::exception& e) {
      seen += std::string("another std::exception: ") + e.what() + "; ";
    }
    try {
      co_await run_blocking(lab.pool, not_std);
      seen += "returned";
    } catch (int e) {
      seen += "int " + std::to_string(e);
    } catch (...) {
      seen += "something else";
    }
    co_return seen;
  };
  INFO("the exception itself must cross back to the loop (an exception_ptr), not a copy of its message");
  REQUIRE(lab.run(body()) == "invalid_argument: no such file; int 42");
}
