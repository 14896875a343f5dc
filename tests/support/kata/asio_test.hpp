// kata/asio_test.hpp: the Boost.Asio harness of the async exercises' tests.
//
// Everything runs on one io_context in the main thread (only it asserts), and
// every run is bounded by ctx.run_for(5s): work still pending then is a hang,
// reported as a failed assertion with a message, never a grader timeout.
// Simulated operations sleep on a steady_timer and note in an OpStates whether
// the timer ran out ("completed") or was cancelled ("aborted"), so a test
// proves cancellation by what happened to the operation, not by elapsed time.
// Each exercise's Lab keeps what is its own (its operations' behaviour, its
// messages); what every Lab did the same way is here.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio.hpp>

#include "kata/test.hpp"

namespace kata {

/// Runs `ctx` until it runs out of work or `limit` passes. restart() first:
/// an earlier run that ran out of work left the context stopped.
inline void run_io(boost::asio::io_context& ctx, std::chrono::milliseconds limit = 5s) {
  ctx.restart();
  ctx.run_for(limit);
}

/// Spawns `body` on `ctx`, runs the context (at most 5 s) and returns what
/// `body` returned, or rethrows what it threw; FAILs with `hang_message` when
/// `body` has not finished by then.
template <class T>
T run_coroutine(boost::asio::io_context& ctx, boost::asio::awaitable<T> body,
                std::string_view hang_message = "the test's coroutine did not finish within 5 s: something hangs") {
  auto result = boost::asio::co_spawn(ctx, std::move(body), boost::asio::use_future);
  run_io(ctx);
  if (!ready_within(result, 0s)) FAIL(hang_message);
  return result.get();
}

/// Sleeps `delay` on a steady_timer of the coroutine's executor; throws
/// operation_aborted when cancelled.
inline boost::asio::awaitable<void> async_sleep(std::chrono::milliseconds delay) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

/// Sleeps `delay` like async_sleep, but returns the timer's error instead of
/// throwing it: operation_aborted when the wait was cancelled, else success.
inline boost::asio::awaitable<boost::system::error_code> timer_outcome(std::chrono::milliseconds delay) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return ec;
}

/// What happened to each simulated operation, by key: "running", then
/// whatever the operation writes ("completed", "aborted", ...). Confined to
/// the io_context's thread.
template <class Key>
class OpStates {
 public:
  /// Marks `key` "running" and returns its state to update as it goes (a
  /// std::map: the reference stays valid while other keys are added).
  std::string& start(const Key& key) {
    std::string& state = states_[key];
    state = "running";
    return state;
  }

  /// The state of `key`, or "not started".
  std::string state(const Key& key) const {
    auto it = states_.find(key);
    return it == states_.end() ? "not started" : it->second;
  }

 private:
  std::map<Key, std::string> states_;
};

/// Milliseconds from `a` to `b`, with fractions.
inline double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

/// Whole milliseconds since `start`.
inline long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

}  // namespace kata
