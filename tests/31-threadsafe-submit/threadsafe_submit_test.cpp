// Tests of 31-threadsafe-submit: submit() hands a coroutine to a loop running
// on another thread and gives back a future.
//
// The loop is an io_context run by its own thread (LoopThread), asleep on a
// 10 s timer when it has nothing to do, as asyncio's loop sleeps in select().
// The main thread (and worker threads in the stress test) call submit(). Jobs
// record which thread they ran on and touch loop-confined state that is not
// synchronized at all: run anywhere but on the loop's thread, they race (TSan).
// Every wait has a deadline; a future's get() is called only after the loop's
// thread has been joined, so this thread alone owns an exception it reads
// (TSan cannot see libstdc++'s exception_ptr reference count).
#include <catch2/catch.hpp>

#include <chrono>
#include <exception>
#include <future>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kata/test.hpp"
#include "threadsafe_submit.hpp"

namespace {

using namespace threadsafe_submit;
using namespace std::chrono_literals;

/// An event loop on its own thread. A work guard keeps run() from returning
/// for lack of work, and a 10 s timer is what it sleeps on when idle.
class LoopThread {
 public:
  asio::io_context ctx;

  explicit LoopThread(bool start_now = true) {
    sleeper_.async_wait([](boost::system::error_code) {});
    if (start_now) start();
  }

  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  ~LoopThread() { stop_and_join(); }

  void start() {
    thread_ = std::thread([this] {
      ctx.run();
      exited_.count_down();
    });
    id_ = thread_.get_id();
  }

  /// The loop's thread (once started; still valid after stop_and_join()).
  std::thread::id id() const { return id_; }

  /// Stops the loop and joins its thread; false if run() did not return
  /// within 5 s (a job blocks the loop's thread): the thread is then abandoned.
  bool stop_and_join() {
    if (!thread_.joinable()) return true;
    ctx.stop();
    if (!exited_.wait_for(5s)) {
      thread_.detach();
      return false;
    }
    thread_.join();
    return true;
  }

 private:
  asio::executor_work_guard<asio::io_context::executor_type> guard_{ctx.get_executor()};
  asio::steady_timer sleeper_{ctx, 10s};
  kata::Countdown exited_{1};
  std::thread thread_;
  std::thread::id id_;
};

using Job = std::function<asio::awaitable<int>()>;

/// A job that returns `value` after letting the loop run something else once.
Job returns(int value) {
  return [value]() -> asio::awaitable<int> {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    co_return value;
  };
}

/// Records the thread the coroutine starts on and the one it resumes on after
/// a 20 ms timer.
asio::awaitable<int> record_threads(std::thread::id& started_on, std::thread::id& resumed_on) {
  started_on = std::this_thread::get_id();
  asio::steady_timer timer(co_await asio::this_coro::executor, 20ms);
  co_await timer.async_wait(asio::use_awaitable);
  resumed_on = std::this_thread::get_id();
  co_return 42;
}

/// State that belongs to the loop: only jobs running on the loop's thread may
/// touch it, so it has no lock and no atomics.
struct LoopState {
  std::thread::id loop_thread;
  int jobs_run = 0;
  int jobs_off_the_loop = 0;
};

}  // namespace

TEST_CASE("the job runs on the loop's thread, and so does the function that makes it",
          "[31-threadsafe-submit][unit][req:1]") {
  LoopThread loop;
  std::thread::id made_on, started_on, resumed_on;
  Job job = [&]() {
    made_on = std::this_thread::get_id();
    return record_threads(started_on, resumed_on);
  };
  auto result = submit(loop.ctx, job);
  REQUIRE(kata::ready_within(result, 5s));
  REQUIRE(loop.stop_and_join());
  REQUIRE(result.get() == 42);
  INFO("the job's state belongs to the loop: every part of the job must run on the loop's thread");
  CHECK(made_on == loop.id());
  CHECK(started_on == loop.id());
  CHECK(resumed_on == loop.id());
  CHECK(made_on != std::this_thread::get_id());
}

TEST_CASE("submit wakes a loop asleep on a 10 s timer: the result arrives within a second",
          "[31-threadsafe-submit][unit][req:2]") {
  LoopThread loop;
  auto first = submit(loop.ctx, returns(1));  // the loop runs; then it sleeps again
  REQUIRE(kata::ready_within(first, 5s));
  const auto start = kata::Clock::now();
  auto second = submit(loop.ctx, returns(2));
  const bool in_time = kata::ready_within(second, 1s);
  const auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(kata::Clock::now() - start).count();
  CAPTURE(waited_ms);
  INFO("posting to the loop must wake it; a loop that finds new work only when it wakes up by itself "
       "(a timer, a poll every few seconds) leaves the caller waiting");
  REQUIRE(in_time);
  REQUIRE(loop.stop_and_join());
  REQUIRE(first.get() == 1);
  REQUIRE(second.get() == 2);
}

TEST_CASE("jobs submitted from many threads at once each get their own result, all run on the loop",
          "[31-threadsafe-submit][stress][req:1][req:3]") {
  constexpr int kThreads = 4;
  constexpr int kJobsPerThread = 25;
  LoopThread loop;
  LoopState state;
  state.loop_thread = loop.id();

  kata::FailureLog log;
  kata::Countdown finished(kThreads);
  std::latch start_together(kThreads);
  std::vector<std::vector<std::future<int>>> futures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto gen = kata::rng(static_cast<std::uint64_t>(t));
      start_together.arrive_and_wait();
      log.capture("submit", [&] {
        for (int i = 0; i < kJobsPerThread; ++i) {
          kata::random_pause(gen);
          const int value = t * 1000 + i;
          futures[t].push_back(submit(loop.ctx, [&state, value]() -> asio::awaitable<int> {
            ++state.jobs_run;  // loop-confined: a job run elsewhere races here
            if (std::this_thread::get_id() != state.loop_thread) ++state.jobs_off_the_loop;
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
            co_return value;
          }));
        }
      });
      finished.count_down();
    });
  }
  if (!finished.wait_for(5s)) {
    for (auto& thread : threads) thread.detach();
    FAIL("the submitting threads did not finish within 5 s: submit blocks its caller");
  }
  for (auto& thread : threads) thread.join();
  INFO(log.summary());
  REQUIRE(log.empty());

  for (int t = 0; t < kThreads; ++t) {
    REQUIRE(futures[t].size() == static_cast<std::size_t>(kJobsPerThread));
    for (auto& f : futures[t]) REQUIRE(kata::ready_within(f, 5s));
  }
  REQUIRE(loop.stop_and_join());
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kJobsPerThread; ++i) {
      CAPTURE(t, i);
      REQUIRE(futures[t][i].get() == t * 1000 + i);
    }
  }
  CHECK(state.jobs_run == kThreads * kJobsPerThread);
  CHECK(state.jobs_off_the_loop == 0);
}

TEST_CASE("an exception thrown by the job comes out of the future's get()", "[31-threadsafe-submit][unit][req:4]") {
  LoopThread loop;
  Job failing = []() -> asio::awaitable<int> {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    throw std::runtime_error("disk on fire");
  };
  auto result = submit(loop.ctx, failing);
  REQUIRE(kata::ready_within(result, 5s));
  REQUIRE(loop.stop_and_join());  // from here on this thread alone owns the exception
  try {
    const int value = result.get();
    FAIL("get() returned " << value << " instead of rethrowing the job's exception");
  } catch (const std::runtime_error& e) {
    REQUIRE(std::string(e.what()) == "disk on fire");
  } catch (const std::future_error& e) {
    FAIL("the job's exception never reached the future; get() threw future_error: " << e.what());
  }
}

TEST_CASE("submit to a stopped loop returns a future that holds LoopStopped at once", "[31-threadsafe-submit][unit][req:5]") {
  bool ran = false;
  Job job = [&ran]() -> asio::awaitable<int> {
    ran = true;
    co_return 1;
  };
  SECTION("a loop whose run() ran out of work") {
    asio::io_context ctx;
    ctx.run();  // nothing to do: returns at once, and the loop is stopped
    auto result = submit(ctx, job);
    INFO("a stopped loop runs nothing: a future waiting for it would hang its caller");
    REQUIRE(kata::ready_within(result, 1s));
    REQUIRE_THROWS_AS(result.get(), LoopStopped);
  }
  SECTION("a loop stopped with stop()") {
    LoopThread loop;
    auto first = submit(loop.ctx, returns(1));
    REQUIRE(kata::ready_within(first, 5s));
    REQUIRE(loop.stop_and_join());
    auto result = submit(loop.ctx, job);
    INFO("a stopped loop runs nothing: a future waiting for it would hang its caller");
    REQUIRE(kata::ready_within(result, 1s));
    REQUIRE_THROWS_AS(result.get(), LoopStopped);
  }
  CHECK_FALSE(ran);
}

TEST_CASE("a job refused by a stopped loop is not queued: restarting the loop does not run it",
          "[31-threadsafe-submit][unit][req:5]") {
  bool ran = false;
  Job job = [&ran]() -> asio::awaitable<int> {
    ran = true;
    co_return 1;
  };
  asio::io_context ctx;
  ctx.run();  // nothing to do: returns at once, and the loop is stopped
  auto result = submit(ctx, job);
  REQUIRE(kata::ready_within(result, 1s));
  REQUIRE_THROWS_AS(result.get(), LoopStopped);
  // The caller was told the job will not run: it must not run later either,
  // when someone restarts the loop.
  ctx.restart();
  INFO("the job was queued anyway: it ran once the loop was restarted, and its handler found its promise already used");
  REQUIRE_NOTHROW(ctx.run_for(1s));
  CHECK_FALSE(ran);
}

TEST_CASE("an exception comes out of the future's get() with the type it was thrown with",
          "[31-threadsafe-submit][unit][req:4]") {
  LoopThread loop;
  Job failing = []() -> asio::awaitable<int> {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    throw std::invalid_argument("no such account");
  };
  auto result = submit(loop.ctx, failing);
  REQUIRE(kata::ready_within(result, 5s));
  REQUIRE(loop.stop_and_join());
  INFO("the exception itself must reach the future (an exception_ptr), not a copy of its message");
  REQUIRE_THROWS_AS(result.get(), std::invalid_argument);
}

TEST_CASE("a job submitted before the loop runs waits in its queue and runs once the loop starts",
          "[31-threadsafe-submit][unit][req:6]") {
  LoopThread loop(/*start_now=*/false);
  std::thread::id started_on, resumed_on;
  Job job = [&]() { return record_threads(started_on, resumed_on); };
  auto result = submit(loop.ctx, job);
  INFO("nothing may run the job before the loop's own thread does");
  REQUIRE_FALSE(kata::ready_within(result, 100ms));
  loop.start();
  REQUIRE(kata::ready_within(result, 5s));
  REQUIRE(loop.stop_and_join());
  REQUIRE(result.get() == 42);
  CHECK(started_on == loop.id());
  CHECK(resumed_on == loop.id());
}

TEST_CASE("a loop destroyed before its job finished breaks the job's promise instead of leaving the future hanging",
          "[31-threadsafe-submit][unit][req:7]") {
  auto loop = std::make_unique<LoopThread>(/*start_now=*/false);
  std::future<int> result;
  bool finished = false;
  SECTION("the job was still queued") {
    Job job = [&finished]() -> asio::awaitable<int> {
      finished = true;
      co_return 1;
    };
    result = submit(loop->ctx, job);
    loop.reset();  // never ran
  }
  SECTION("the job was suspended on a timer") {
    kata::Countdown started(1);
    Job job = [&]() -> asio::awaitable<int> {
      started.count_down();
      asio::steady_timer timer(co_await asio::this_coro::executor, 10s);
      co_await timer.async_wait(asio::use_awaitable);
      finished = true;
      co_return 1;
    };
    loop->start();
    result = submit(loop->ctx, job);
    REQUIRE(started.wait_for(5s));
    REQUIRE(loop->stop_and_join());
    loop.reset();
  }
  INFO("the loop's destructor destroys what it still holds, the job's completion handler included");
  REQUIRE(kata::ready_within(result, 1s));
  try {
    const int value = result.get();
    FAIL("get() returned " << value << " for a job that never finished");
  } catch (const std::future_error& e) {
    CHECK(e.code() == std::future_errc::broken_promise);
  }
  CHECK_FALSE(finished);
}
