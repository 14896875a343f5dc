// Tests of 39-structured-concurrency: join() waits for every child (no orphan
// outlives the group), the first failure cancels the siblings at once, and the
// errors are collected in an ExceptionGroup, first one first, without the
// cancelled siblings' operation_aborted.
//
// Children are simulated with steady_timers and record whether their timer ran
// out ("completed") or was cancelled ("aborted"), so cancellation is proven by
// what happened to the child's own operation, not by elapsed time alone.
// Everything runs on one io_context in the main thread, bounded by run_for(5s).
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "kata/asio_test.hpp"
#include "kata/test.hpp"
#include "task_group.hpp"

namespace {

using namespace task_group;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

class Lab {
  kata::OpStates<std::string> states_;

 public:
  asio::io_context ctx;  // declared after states_, so destroyed before it

  /// Sleeps `delay`; then throws `error` if it is not empty. When cancelled,
  /// records "aborted" and throws `cleanup_error` if set (a clean-up that
  /// fails), else rethrows operation_aborted.
  asio::awaitable<void> child(std::string name, milliseconds delay, std::string error = "",
                              std::string cleanup_error = "") {
    std::string& state = states_.start(name);
    const auto ec = co_await kata::timer_outcome(delay);
    if (ec) {
      state = "aborted";
      if (!cleanup_error.empty()) throw std::runtime_error(cleanup_error);
      throw boost::system::system_error(ec);
    }
    state = "completed";
    if (!error.empty()) throw std::runtime_error(error);
  }

  /// "not started", "running", "completed" or "aborted".
  std::string state(const std::string& name) { return states_.state(name); }

  /// Runs `body` on the io_context (at most 5 s) and returns what it returned.
  template <class T>
  T run(asio::awaitable<T> body) {
    return kata::run_coroutine(ctx, std::move(body));
  }
};

std::vector<std::string> messages(const ExceptionGroup& group) {
  std::vector<std::string> all;
  for (const auto& e : group.errors()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      all.push_back(ex.what());
    }
  }
  return all;
}

}  // namespace

TEST_CASE("join waits for every child: none is still running after the group returns",
          "[39-structured-concurrency][unit][req:1][req:2][req:5]") {
  Lab lab;
  std::map<std::string, std::string> when_joined;
  std::size_t running_before = 0, running_after = 99;
  double joined_after_ms = 0;
  auto body = [&]() -> asio::awaitable<void> {
    TaskGroup group(co_await asio::this_coro::executor);
    const auto start = kata::Clock::now();
    group.spawn(lab.child("a", 50ms));
    group.spawn(lab.child("b", 150ms));
    group.spawn(lab.child("c", 100ms));
    running_before = group.running();
    co_await group.join();
    joined_after_ms = kata::ms_between(start, kata::Clock::now());
    running_after = group.running();
    for (const char* name : {"a", "b", "c"}) when_joined[name] = lab.state(name);
  };
  lab.run(body());
  CHECK(running_before == 3);
  INFO("each child's state at the moment join() returned: an orphan would still be running");
  CHECK(when_joined == std::map<std::string, std::string>{{"a", "completed"}, {"b", "completed"}, {"c", "completed"}});
  CHECK(running_after == 0);
  CHECK(joined_after_ms >= 140);
}

TEST_CASE("a child spawned by a child belongs to the group too, and join waits for it",
          "[39-structured-concurrency][unit][req:1][req:2]") {
  Lab lab;
  std::string grandchild_when_joined;
  auto body = [&]() -> asio::awaitable<void> {
    TaskGroup group(co_await asio::this_coro::executor);
    auto parent = [&]() -> asio::awaitable<void> {
      co_await lab.child("parent", 30ms);
      group.spawn(lab.child("late", 100ms));
    };
    group.spawn(parent());
    co_await group.join();
    grandchild_when_joined = lab.state("late");
  };
  lab.run(body());
  CHECK(grandchild_when_joined == "completed");
}

TEST_CASE("the first failure cancels the siblings at once and join throws an ExceptionGroup",
          "[39-structured-concurrency][unit][req:3][req:4]") {
  Lab lab;
  std::map<std::string, std::string> when_thrown;
  std::vector<std::string> errors;
  std::string what;
  double thrown_after_ms = 0;
  auto body = [&]() -> asio::awaitable<void> {
    TaskGroup group(co_await asio::this_coro::executor);
    const auto start = kata::Clock::now();
    group.spawn(lab.child("slow", 400ms));
    group.spawn(lab.child("failing", 50ms, "boom"));
    group.spawn(lab.child("slower", 500ms));
    try {
      co_await group.join();
    } catch (const ExceptionGroup& e) {
      thrown_after_ms = kata::ms_between(start, kata::Clock::now());
      errors = messages(e);
      what = e.what();
      for (const char* name : {"slow", "failing", "slower"}) when_thrown[name] = lab.state(name);
    }
  };
  lab.run(body());
  INFO("the siblings must be cancelled (their timers aborted) and stopped before join() throws");
  CHECK(when_thrown ==
        std::map<std::string, std::string>{{"slow", "aborted"}, {"failing", "completed"}, {"slower", "aborted"}});
  INFO("the cancelled siblings' operation_aborted is not an error of the group");
  CHECK(errors == std::vector<std::string>{"boom"});
  CHECK(what == "1 error(s) in the task group; first: boom");
  INFO("cancelled at the failure (~50 ms), not at the end of the slowest sibling (500 ms)");
  CHECK(thrown_after_ms < 350);
}

TEST_CASE("every error is collected, the first one first", "[39-structured-concurrency][unit][req:3][req:4]") {
  Lab lab;
  std::vector<std::string> errors;
  std::string what;
  auto body = [&]() -> asio::awaitable<void> {
    TaskGroup group(co_await asio::this_coro::executor);
    group.spawn(lab.child("cleanup fails", 400ms, "", "clean-up failed"));  // fails when cancelled
    group.spawn(lab.child("first", 50ms, "first error"));
    group.spawn(lab.child("bystander", 400ms));
    try {
      co_await group.join();
    } catch (const ExceptionGroup& e) {
      errors = messages(e);
      what = e.what();
    }
  };
  lab.run(body());
  CHECK(errors == std::vector<std::string>{"first error", "clean-up failed"});
  CHECK(what == "2 error(s) in the task group; first: first error");
  CHECK(lab.state("bystander") == "aborted");
}

TEST_CASE("an empty group joins at once, and a joined group takes no more children",
          "[39-structured-concurrency][unit][req:5][req:6]") {
  Lab lab;
  bool refused = false;
  auto body = [&]() -> asio::awaitable<void> {
    TaskGroup group(co_await asio::this_coro::executor);
    co_await group.join();
    try {
      group.spawn(lab.child("too late", 10ms));
    } catch (const std::logic_error&) {
      refused = true;
    }
  };
  lab.run(body());
  CHECK(refused);
  CHECK(lab.state("too late") != "running");
}

TEST_CASE("a group that is shutting down after a failure takes no more children", "[39-structured-concurrency][unit][req:3][req:6]") {
  Lab lab;
  bool refused = false, threw_group = false;
  auto body = [&]() -> asio::awaitable<void> {
    TaskGroup group(co_await asio::this_coro::executor);
    group.spawn(lab.child("failing", 10ms, "boom"));
    group.spawn(lab.child("sibling", 400ms));
    co_await kata::async_sleep(100ms);
    try {
      group.spawn(lab.child("too late", 10ms));
    } catch (const std::logic_error&) {
      refused = true;
    }
    try {
      co_await group.join();
    } catch (const ExceptionGroup&) {
      threw_group = true;
    }
  };
  lab.run(body());
  CHECK(refused);
  CHECK(threw_group);
  CHECK(lab.state("sibling") == "aborted");
}

TEST_CASE("ExceptionGroup names a non-standard first error too", "[39-structured-concurrency][unit][req:4]") {
  ExceptionGroup group({std::make_exception_ptr(42)});
  CHECK(std::string(group.what()) == "1 error(s) in the task group; first: a non-std exception");
  CHECK(group.errors().size() == 1);
}

TEST_CASE("join waits for a cancelled sibling's clean-up to end before it throws",
          "[39-structured-concurrency][unit][req:3]") {
  Lab lab;
  std::string state = "not started";
  std::string when_thrown;
  // Cancelled, this child still has 100 ms of clean-up to do (shielded from
  // the cancellation that started it): the group must wait for that too.
  auto slow_cleanup = [&state]() -> asio::awaitable<void> {
    state = "running";
    const auto ec = co_await kata::timer_outcome(2000ms);
    if (!ec) {
      state = "completed";
      co_return;
    }
    state = "cleaning up";
    auto nothing = [](asio::cancellation_type) { return asio::cancellation_type::none; };
    co_await asio::this_coro::reset_cancellation_state(nothing);
    co_await kata::async_sleep(100ms);
    state = "cleaned up";
    throw boost::system::system_error(ec);
  };
  auto body = [&]() -> asio::awaitable<void> {
    TaskGroup group(co_await asio::this_coro::executor);
    group.spawn(slow_cleanup());
    group.spawn(lab.child("failing", 50ms, "boom"));
    try {
      co_await group.join();
    } catch (const ExceptionGroup&) {
      when_thrown = state;
    }
  };
  lab.run(body());
  INFO("join() threw while the cancelled sibling was still cleaning up: a child outlived its group");
  CHECK(when_thrown == "cleaned up");
}

TEST_CASE("a child that fails with operation_aborted on its own is a failure of the group",
          "[39-structured-concurrency][unit][req:3][req:4]") {
  Lab lab;
  std::vector<std::string> errors;
  bool threw_group = false;
  // Nobody cancelled this child: its own operation ended with operation_aborted
  // (say, a socket closed under it). Only the siblings the group cancels are
  // excused; this is the group's first failure.
  auto aborted_by_itself = []() -> asio::awaitable<void> {
    co_await kata::async_sleep(50ms);
    throw boost::system::system_error(asio::error::operation_aborted);
  };
  auto body = [&]() -> asio::awaitable<void> {
    TaskGroup group(co_await asio::this_coro::executor);
    group.spawn(aborted_by_itself());
    group.spawn(lab.child("sibling", 400ms));
    try {
      co_await group.join();
    } catch (const ExceptionGroup& e) {
      threw_group = true;
      errors = messages(e);
    }
  };
  lab.run(body());
  INFO("join() returned normally: an operation_aborted the group did not cause was dropped as if it had");
  REQUIRE(threw_group);
  CHECK(errors.size() == 1);
  CHECK(lab.state("sibling") == "aborted");
}

TEST_CASE("join returns at once when every child ended before it was called",
          "[39-structured-concurrency][unit][req:2][req:5]") {
  Lab lab;
  double join_took_ms = -1;
  std::size_t running_at_join = 99;
  auto body = [&]() -> asio::awaitable<void> {
    TaskGroup group(co_await asio::this_coro::executor);
    group.spawn(lab.child("a", 20ms));
    group.spawn(lab.child("b", 40ms));
    co_await kata::async_sleep(200ms);  // both have ended: nothing is left to wait for
    running_at_join = group.running();
    const auto start = kata::Clock::now();
    co_await group.join();
    join_took_ms = kata::ms_between(start, kata::Clock::now());
  };
  kata::run_coroutine(lab.ctx, body(),
                      "join() did not return: the children had all ended before it, and it waited for a wake-up that had "
                      "already happened");
  CHECK(running_at_join == 0);
  CHECK(lab.state("a") == "completed");
  CHECK(lab.state("b") == "completed");
  CHECK(join_took_ms < 1000);
}

TEST_CASE("a failure cancels the siblings at once, before the parent has reached join",
          "[39-structured-concurrency][unit][req:3]") {
  Lab lab;
  std::string sibling_before_join;
  std::size_t running_before_join = 99;
  bool threw_group = false;
  auto body = [&]() -> asio::awaitable<void> {
    TaskGroup group(co_await asio::this_coro::executor);
    group.spawn(lab.child("failing", 10ms, "boom"));
    group.spawn(lab.child("sibling", 1000ms));
    co_await kata::async_sleep(200ms);  // the parent is busy; it has not called join() yet
    sibling_before_join = lab.state("sibling");
    running_before_join = group.running();
    try {
      co_await group.join();
    } catch (const ExceptionGroup&) {
      threw_group = true;
    }
  };
  lab.run(body());
  INFO("190 ms after the failure the sibling was still running: it must be cancelled at the failure, not at join()");
  CHECK(sibling_before_join == "aborted");
  CHECK(running_before_join == 0);
  CHECK(threw_group);
}
