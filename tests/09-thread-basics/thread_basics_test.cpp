// Hidden tests of 09-thread-basics: a Task runs its function on a thread of
// its own at once, get() hands back the value or the very exception thrown
// (nothing lost, no std::terminate), interrupt() stops an interruptible wait,
// and no thread ever outlives its Task or run_two.
//
// A Task lives in a shared_ptr; whatever may block (get, the destructor,
// run_two) runs through kata::finishes_within or value_within with lambdas
// that hold their own references, so a hang is a failed assertion and a
// thread abandoned on a timeout never touches the test's stack.
// "The thread has ended" is observed through an Ended flag set by an RAII
// guard inside the function: it is set even when the function throws.
#include <catch2/catch.hpp>

#include "thread_basics.hpp"

#include <kata/test.hpp>
#include <kata/thread_test.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

/// Set when the function it guards has left its scope, however it left.
struct Ended {
  std::atomic<bool> flag{false};
  struct Guard {
    Ended& ended;
    ~Guard() { ended.flag = true; }
  };
  Guard guard() { return Guard{*this}; }
};

/// A function body that waits, passing an interruption point every 2 ms, until
/// interrupted (or until `limit` has passed, then returns -1):
/// boost::this_thread::interruption_point() throws boost::thread_interrupted
/// once the thread has been interrupted. (Not boost::this_thread::sleep_for,
/// also an interruption point: it needs Boost.Chrono, which is not linked.)
int wait_until_interrupted(std::chrono::milliseconds limit) {
  const auto deadline = kata::Clock::now() + limit;
  while (kata::Clock::now() < deadline) {
    boost::this_thread::interruption_point();
    std::this_thread::sleep_for(2ms);
  }
  return -1;
}

/// A function for a Task or run_two: waits until interrupted (at most 5 s),
/// and sets `ended` when it leaves, however it leaves.
auto waits_until_interrupted(std::shared_ptr<Ended> ended) {
  return [ended] {
    auto guard = ended->guard();
    return wait_until_interrupted(5s);
  };
}

/// What get() threw, as text the main thread can check.
std::string outcome_of_get(const std::shared_ptr<Task>& task) {
  try {
    return "returned " + std::to_string(task->get());
  } catch (const std::domain_error& e) {
    return std::string("domain_error: ") + e.what();
  } catch (const boost::thread_interrupted&) {
    return "thread_interrupted";
  } catch (const std::future_error& e) {
    return std::string("future_error (the exception was lost): ") + e.what();
  } catch (const int& code) {
    return "int " + std::to_string(code);
  } catch (const std::exception& e) {
    return std::string("another exception: ") + e.what();
  }
}

}  // namespace

TEST_CASE("a Task starts its function on a new thread at once and get returns the result",
          "[09-thread-basics][unit][req:1]") {
  auto started = std::make_shared<std::promise<std::thread::id>>();
  auto started_on = started->get_future();
  auto task = std::make_shared<Task>([started] {
    started->set_value(std::this_thread::get_id());
    return 42;
  });
  // Before anyone asks for the result: the function already runs.
  REQUIRE(kata::ready_within(started_on, 5s));
  REQUIRE(started_on.get() != std::this_thread::get_id());

  auto result = kata::value_within(5s, [task] { return task->get(); });
  REQUIRE(result.has_value());
  REQUIRE(*result == 42);
}

TEST_CASE("two Tasks run at the same time in one program", "[09-thread-basics][unit][req:3][req:7]") {
  // Two participants meet only if both are running at the same time.
  auto meeting = std::make_shared<kata::Meeting>(2);
  auto first = std::make_shared<Task>([meeting] {
    meeting->arrive_and_wait(2s);
    return 1;
  });
  auto second = std::make_shared<Task>([meeting] {
    meeting->arrive_and_wait(2s);
    return 2;
  });
  auto results = kata::value_within(5s, [first, second] { return std::pair{first->get(), second->get()}; });
  REQUIRE(results.has_value());
  REQUIRE(results->first == 1);
  REQUIRE(results->second == 2);
  REQUIRE(meeting->all_met());
}

TEST_CASE("an exception thrown by the function comes out of get with its type and message",
          "[09-thread-basics][unit][req:2]") {
  SECTION("a std::exception") {
    auto task = std::make_shared<Task>([]() -> int { throw std::domain_error("boom"); });
    auto outcome = kata::value_within(5s, [task] { return outcome_of_get(task); });
    REQUIRE(outcome.has_value());
    REQUIRE(*outcome == "domain_error: boom");
  }
  SECTION("an exception of any type") {
    auto task = std::make_shared<Task>([]() -> int { throw 7; });
    auto outcome = kata::value_within(5s, [task] { return outcome_of_get(task); });
    REQUIRE(outcome.has_value());
    REQUIRE(*outcome == "int 7");
  }
}

TEST_CASE("the destructor joins: a Task never leaves its thread running", "[09-thread-basics][unit][req:4]") {
  auto ended = std::make_shared<Ended>();
  auto task = std::make_shared<Task>([ended] {
    auto guard = ended->guard();
    // Not an interruption point: the destructor must simply wait for it.
    std::this_thread::sleep_for(150ms);
    return 0;
  });
  // Never asked for its result: the destructor alone must wait for the thread.
  REQUIRE(kata::finishes_within(5s, [t = std::move(task)]() mutable { t.reset(); }));
  INFO("~Task returned while its function was still running: the thread was detached, not joined");
  REQUIRE(ended->flag);
}

TEST_CASE("interrupt stops a function at an interruption point and get rethrows thread_interrupted",
          "[09-thread-basics][unit][req:5]") {
  auto ended = std::make_shared<Ended>();
  auto task = std::make_shared<Task>(waits_until_interrupted(ended));
  task->interrupt();
  auto outcome = kata::value_within(2s, [task] { return outcome_of_get(task); });
  REQUIRE(outcome.has_value());
  REQUIRE(*outcome == "thread_interrupted");
  REQUIRE(ended->flag);
}

TEST_CASE("destroying a Task whose function still waits interrupts it and returns promptly",
          "[09-thread-basics][unit][req:5]") {
  auto ended = std::make_shared<Ended>();
  auto task = std::make_shared<Task>(waits_until_interrupted(ended));
  // The function waits up to 5 s; a destructor that only joins waits as long.
  REQUIRE(kata::finishes_within(2s, [t = std::move(task)]() mutable { t.reset(); }));
  REQUIRE(ended->flag);
}

TEST_CASE("run_two runs both functions at the same time and returns both results", "[09-thread-basics][unit][req:6][req:7]") {
  auto meeting = std::make_shared<kata::Meeting>(2);
  auto results = kata::value_within(5s, [meeting] {
    return run_two(
        [meeting] {
          meeting->arrive_and_wait(2s);
          return 10;
        },
        [meeting] {
          meeting->arrive_and_wait(2s);
          return 20;
        });
  });
  REQUIRE(results.has_value());
  REQUIRE(results->first == 10);
  REQUIRE(results->second == 20);
  REQUIRE(meeting->all_met());
}

TEST_CASE("when the first function throws run_two stops the second and rethrows", "[09-thread-basics][unit][req:6]") {
  auto second_ended = std::make_shared<Ended>();
  auto outcome = kata::value_within(2s, [second_ended]() -> std::string {
    try {
      run_two([]() -> int { throw std::domain_error("first failed"); }, waits_until_interrupted(second_ended));
      return "run_two returned";
    } catch (const std::domain_error& e) {
      // Read here, on the thread that called run_two: both threads are over.
      return std::string("domain_error: ") + e.what() + (second_ended->flag ? "" : " (second still running)");
    }
  });
  REQUIRE(outcome.has_value());
  REQUIRE(*outcome == "domain_error: first failed");
}

TEST_CASE("when only the second function throws run_two rethrows its exception", "[09-thread-basics][unit][req:6]") {
  auto outcome = kata::value_within(5s, []() -> std::string {
    try {
      run_two([] { return 1; }, []() -> int { throw std::domain_error("second failed"); });
      return "run_two returned";
    } catch (const std::domain_error& e) {
      return std::string("domain_error: ") + e.what();
    }
  });
  REQUIRE(outcome.has_value());
  REQUIRE(*outcome == "domain_error: second failed");
}

TEST_CASE("a Task destroyed by an interrupted thread still joins and does not throw", "[09-thread-basics][unit][req:4]") {
  // The outer Task's thread is interrupted before it destroys an inner Task.
  // ~Task's join() is an interruption point: unless interruption is disabled
  // there, it throws boost::thread_interrupted out of a destructor, and a
  // destructor that throws ends the process in std::terminate.
  auto go = std::make_shared<std::promise<void>>();
  auto inner_ended = std::make_shared<Ended>();
  auto outer = std::make_shared<Task>([go_signal = go->get_future().share(), inner_ended] {
    go_signal.wait();  // not an interruption point: the request stays pending
    {
      Task inner([inner_ended] {
        auto guard = inner_ended->guard();
        std::this_thread::sleep_for(100ms);  // not an interruption point either
        return 1;
      });
    }  // ~Task: interrupt inner (no effect), then join it with our own interrupt pending
    return inner_ended->flag.load() ? 5 : -5;
  });
  outer->interrupt();
  go->set_value();
  auto outcome = kata::value_within(5s, [outer] { return outcome_of_get(outer); });
  REQUIRE(outcome.has_value());
  INFO("returned -5: ~Task returned before the inner function ended");
  REQUIRE(*outcome == "returned 5");
  REQUIRE(inner_ended->flag);
}

TEST_CASE("when both functions throw run_two rethrows the first one's exception", "[09-thread-basics][unit][req:6]") {
  // The second throws at once, the first 50 ms later: the first's exception
  // is the one that comes out, not the last one seen nor the earliest.
  auto outcome = kata::value_within(5s, []() -> std::string {
    try {
      run_two(
          []() -> int {
            std::this_thread::sleep_for(50ms);
            throw std::domain_error("first failed");
          },
          []() -> int { throw std::runtime_error("second failed"); });
      return "run_two returned";
    } catch (const std::domain_error& e) {
      return std::string("domain_error: ") + e.what();
    } catch (const std::exception& e) {
      return std::string("another exception: ") + e.what();
    }
  });
  REQUIRE(outcome.has_value());
  REQUIRE(*outcome == "domain_error: first failed");
}
