// Tests of 24-coroutine: a Generator<T> (co_yield, range-for) and a lazy
// Task<T> with symmetric transfer, judged by what is observable: the order
// in which bodies run (an event log), values and exceptions, how many
// coroutine parameters are still alive (a frame that is never destroyed
// keeps its copies of the parameters alive), and whether a 100 000-deep
// chain of co_awaits finishes on a small, fixed stack. That last one runs in
// a child process, so a stack overflow becomes a failed assertion with a
// message instead of a crashed test binary.
#include <catch2/catch.hpp>

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "generator.hpp"
#include "kata/process_test.hpp"
#include "kata/test.hpp"
#include "task.hpp"

namespace {

using namespace std::chrono_literals;
using coro::Generator;
using coro::sync_wait;
using coro::Task;
using Log = std::vector<std::string>;

/// Counts live copies. Passed by value to a coroutine, it is copied into the
/// coroutine's frame and destroyed only when the frame is destroyed.
struct Tracker {
  static inline int live = 0;
  Tracker() { ++live; }
  Tracker(const Tracker&) { ++live; }
  Tracker(Tracker&&) noexcept { ++live; }
  Tracker& operator=(const Tracker&) = default;
  ~Tracker() { --live; }
};

// ------------------------------------------------------------ generators

Generator<int> count_to(int n, Log& log) {
  log.push_back("started");
  for (int i = 0; i < n; ++i) {
    log.push_back("yield " + std::to_string(i));
    co_yield i;
  }
  log.push_back("finished");
}

Generator<std::string> words() {
  std::string local = "local";
  co_yield local;            // an lvalue
  co_yield std::string("temporary");  // an rvalue
}

Generator<int> naturals(Tracker) {
  for (int i = 0;; ++i) co_yield i;
}

Generator<int> two_then_throw() {
  co_yield 1;
  co_yield 2;
  throw std::runtime_error("generator failed");
}

Generator<int> throws_at_once() {
  throw std::runtime_error("failed before the first value");
  co_yield 0;
}

// ------------------------------------------------------------------ tasks

Task<int> answer(Log& log) {
  log.push_back("answer runs");
  co_return 42;
}

Task<int> add_one(Log& log) {
  log.push_back("add_one starts");
  Task<int> inner = answer(log);
  log.push_back("inner created");
  const int value = co_await std::move(inner);
  log.push_back("add_one resumed with " + std::to_string(value));
  co_return value + 1;
}

Task<> nothing(Log& log) {
  log.push_back("nothing runs");
  co_return;
}

Task<std::string> text() { co_return std::string("a string result"); }

Task<int> fails(std::string what) {
  throw std::runtime_error(what);
  co_return 0;
}

Task<int> passes_through() { co_return co_await fails("from the innermost task") + 1; }

Task<int> catches() {
  try {
    co_await fails("caught one level up");
  } catch (const std::runtime_error& e) {
    co_return std::string(e.what()) == "caught one level up" ? 7 : -1;
  }
  co_return -2;
}

Task<> fails_void(std::string what) {
  throw std::runtime_error(what);
  co_return;
}

Task<int> catches_void() {
  try {
    co_await fails_void("from a Task<void>");
  } catch (const std::runtime_error& e) {
    co_return std::string(e.what()) == "from a Task<void>" ? 9 : -1;
  }
  co_return -2;
}

Task<int> tracked_value(Tracker, int value) { co_return value; }

Task<int> tracked_throw(Tracker) {
  throw std::runtime_error("tracked");
  co_return 0;
}

Task<int> tracked_outer(Tracker t) {
  int sum = co_await tracked_value(t, 1);
  try {
    co_await tracked_throw(t);
  } catch (const std::runtime_error&) {
    sum += 10;
  }
  Task<int> never_awaited = tracked_value(t, 100);  // created, never started
  co_return sum;
}

/// Awaits a chain of `depth` nested tasks: depth + 1 frames alive at once.
Task<long> chain(long depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await chain(depth - 1);
}

constexpr long kDepth = 100'000;
constexpr std::size_t kStackBytes = 2 << 20;  // 2 MiB

void* run_chain(void* result) {
  *static_cast<long*>(result) = sync_wait(chain(kDepth));
  return nullptr;
}

/// In a child process, runs the chain on a thread with a 2 MiB stack (a
/// fixed size, whatever `ulimit -s` says). Returns "finished", or what
/// went wrong: with resume() instead of symmetric transfer every level adds
/// machine-stack frames (about 350 bytes at -O0) and the child dies.
std::string deep_chain_in_child() {
  const pid_t child = fork();
  if (child < 0) return std::string("fork failed: ") + std::strerror(errno);
  if (child == 0) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, kStackBytes);
    long result = -1;
    pthread_t thread;
    if (pthread_create(&thread, &attr, run_chain, &result) != 0) _exit(4);
    pthread_join(thread, nullptr);
    _exit(result == kDepth ? 0 : 3);
  }
  const kata::ChildEnd end = kata::reap_within(child, 5000ms);
  if (end.timed_out) return "the chain did not finish within 5 s (the child was killed)";
  if (!end.exited) {
    return std::string("the child died of signal ") + std::to_string(end.signal) + " (" + strsignal(end.signal) +
           "): a stack overflow, most likely: something calls resume() where await_suspend should return a handle";
  }
  if (end.exited_with(0)) return "finished";
  if (end.exited_with(3)) return "the chain finished with a wrong value";
  return "the child exited with status " + std::to_string(end.code) +
         " (a sanitizer's stack-overflow report exits with 1)";
}

}  // namespace

// ------------------------------------------------------------ generators

TEST_CASE("a generator yields its values in order and then stops", "[24-coroutine][unit][req:1]") {
  Log log;
  std::vector<int> seen;
  for (int v : count_to(4, log)) seen.push_back(v);
  REQUIRE(seen == std::vector<int>{0, 1, 2, 3});
  REQUIRE(log == Log{"started", "yield 0", "yield 1", "yield 2", "yield 3", "finished"});

  std::vector<std::string> texts;
  for (const auto& w : words()) texts.push_back(w);
  REQUIRE(texts == std::vector<std::string>{"local", "temporary"});
}

TEST_CASE("a generator runs its body only as values are asked for", "[24-coroutine][unit][req:1]") {
  Log log;
  auto gen = count_to(3, log);
  {
    INFO("calling a generator coroutine must not run its body");
    REQUIRE(log.empty());
  }
  auto it = gen.begin();
  REQUIRE(it != gen.end());
  REQUIRE(*it == 0);
  REQUIRE(log == Log{"started", "yield 0"});
  ++it;
  REQUIRE(*it == 1);
  REQUIRE(log == Log{"started", "yield 0", "yield 1"});
}

TEST_CASE("a generator that yields nothing is empty", "[24-coroutine][unit][req:1]") {
  Log log;
  auto gen = count_to(0, log);
  REQUIRE(gen.begin() == gen.end());
  REQUIRE(log == Log{"started", "finished"});
}

TEST_CASE("an exception thrown in a generator comes out of the loop that reads it", "[24-coroutine][unit][req:2]") {
  std::vector<int> seen;
  try {
    for (int v : two_then_throw()) seen.push_back(v);
    FAIL("the loop ended normally: the generator's exception was lost");
  } catch (const std::runtime_error& e) {
    REQUIRE(std::string(e.what()) == "generator failed");
  }
  REQUIRE(seen == std::vector<int>{1, 2});
}

TEST_CASE("a generator left early or never started destroys its frame", "[24-coroutine][unit][req:3]") {
  REQUIRE(Tracker::live == 0);
  {
    std::vector<int> seen;
    auto gen = naturals(Tracker{});
    for (int v : gen) {
      if (v == 3) break;
      seen.push_back(v);
    }
    REQUIRE(seen == std::vector<int>{0, 1, 2});
    auto moved = std::move(gen);  // a move hands over the frame, it does not copy it
    REQUIRE(Tracker::live == 1);
  }
  {
    INFO("live copies of the generator's parameter: its frame was never destroyed");
    REQUIRE(Tracker::live == 0);
    { auto never_read = naturals(Tracker{}); }
    REQUIRE(Tracker::live == 0);
  }
}

TEST_CASE("an exception thrown before a generator's first value comes out of begin", "[24-coroutine][unit][req:2]") {
  auto gen = throws_at_once();
  INFO("begin() runs the body to its first co_yield: what the body throws on the way must come out of begin()");
  REQUIRE_THROWS_WITH(gen.begin(), "failed before the first value");
  int values = 0;
  try {
    for (int v : throws_at_once()) values += v + 1;
    FAIL("the loop ended normally: the generator's exception was lost");
  } catch (const std::runtime_error& e) {
    REQUIRE(std::string(e.what()) == "failed before the first value");
  }
  REQUIRE(values == 0);
}

TEST_CASE("a generator replaced by move assignment destroys the frame it held", "[24-coroutine][unit][req:3]") {
  REQUIRE(Tracker::live == 0);
  {
    auto gen = naturals(Tracker{});
    REQUIRE(*gen.begin() == 0);
    gen = naturals(Tracker{});  // the first frame, suspended at a co_yield, goes
    INFO("live copies of the generators' parameters: the replaced frame was never destroyed");
    REQUIRE(Tracker::live == 1);
    REQUIRE(*gen.begin() == 0);
  }
  REQUIRE(Tracker::live == 0);
}

// ------------------------------------------------------------------ tasks

TEST_CASE("a task does not start until it is awaited", "[24-coroutine][unit][req:4]") {
  Log log;
  Task<int> outer = add_one(log);
  {
    INFO("calling a Task coroutine must only create it");
    REQUIRE(log.empty());
  }
  REQUIRE(sync_wait(std::move(outer)) == 43);
  REQUIRE(log == Log{"add_one starts", "inner created", "answer runs", "add_one resumed with 42"});
}

TEST_CASE("co_await on a task gives its value and Task of void completes", "[24-coroutine][unit][req:4]") {
  Log log;
  REQUIRE(sync_wait(answer(log)) == 42);
  REQUIRE(sync_wait(text()) == "a string result");
  sync_wait(nothing(log));
  REQUIRE(log == Log{"answer runs", "nothing runs"});
}

TEST_CASE("an exception in an inner task reaches the awaiting task and comes out of sync_wait",
          "[24-coroutine][unit][req:5]") {
  REQUIRE(sync_wait(catches()) == 7);
  try {
    sync_wait(passes_through());
    FAIL("sync_wait returned a value: the inner task's exception was lost");
  } catch (const std::runtime_error& e) {
    REQUIRE(std::string(e.what()) == "from the innermost task");
  }
  REQUIRE_THROWS_WITH(sync_wait(fails("directly")), "directly");
}

TEST_CASE("an exception in a Task of void reaches the awaiting task and comes out of sync_wait",
          "[24-coroutine][unit][req:5]") {
  INFO("Task<void> has no value to return, but its exception must still come out of await_resume");
  REQUIRE(sync_wait(catches_void()) == 9);
  REQUIRE_THROWS_WITH(sync_wait(fails_void("directly")), "directly");
}

TEST_CASE("a task replaced by move assignment destroys the frame it held", "[24-coroutine][unit][req:7]") {
  REQUIRE(Tracker::live == 0);
  {
    Task<int> task = tracked_value(Tracker{}, 1);
    task = tracked_value(Tracker{}, 2);  // the first, never started, goes
    INFO("live copies of task parameters: the replaced frame was never destroyed");
    REQUIRE(Tracker::live == 1);
    REQUIRE(sync_wait(std::move(task)) == 2);
  }
  REQUIRE(Tracker::live == 0);
}

TEST_CASE("every task frame is destroyed once: finished, failed and never started", "[24-coroutine][unit][req:7]") {
  REQUIRE(Tracker::live == 0);
  REQUIRE(sync_wait(tracked_outer(Tracker{})) == 11);
  INFO("live copies of task parameters: some task frames were never destroyed");
  REQUIRE(Tracker::live == 0);
  { Task<int> never_started = tracked_value(Tracker{}, 5); }
  REQUIRE(Tracker::live == 0);
  REQUIRE_THROWS(sync_wait(tracked_throw(Tracker{})));
  REQUIRE(Tracker::live == 0);
}

TEST_CASE("a chain of 100000 nested co_awaits runs on a small fixed stack", "[24-coroutine][unit][req:6]") {
  // Warm up in this process first: a short chain must work at all.
  REQUIRE(sync_wait(chain(100)) == 100);
  REQUIRE(deep_chain_in_child() == "finished");
}
