// loop_bench.cpp: 23-event-loop's EventLoop against boost::asio::io_context,
// each run by one thread.
#include "bench.hpp"

#include "event_loop.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace {

constexpr long kPosts = 1'000'000;
constexpr long kChained = 200'000;
constexpr long kCrossThread = 200'000;
constexpr long kTimers = 100'000;

// Schedule everything first, then run the loop until all of it has run.
double loop_posts() {
  EventLoop loop;
  long ran = 0;
  const auto start = bench::Clock::now();
  for (long i = 0; i < kPosts; ++i) loop.call_soon([&ran] { ++ran; });
  loop.run_until([&ran] { return ran == kPosts; });
  return bench::rate(kPosts, start);
}

double asio_posts() {
  boost::asio::io_context context;
  long ran = 0;
  const auto start = bench::Clock::now();
  for (long i = 0; i < kPosts; ++i) boost::asio::post(context, [&ran] { ++ran; });
  context.run();
  return bench::rate(kPosts, start);
}

// Each callback schedules the next: one ready callback per iteration, so the
// cost of an iteration itself is what is measured.
struct LoopChain {
  EventLoop& loop;
  long left;
  void step() {
    if (--left > 0) loop.call_soon([this] { step(); });
  }
};

double loop_chained() {
  EventLoop loop;
  LoopChain chain{loop, kChained};
  const auto start = bench::Clock::now();
  loop.call_soon([&chain] { chain.step(); });
  loop.run_until([&chain] { return chain.left == 0; });
  return bench::rate(kChained, start);
}

struct AsioChain {
  boost::asio::io_context& context;
  long left;
  void step() {
    if (--left > 0) boost::asio::post(context, [this] { step(); });
  }
};

double asio_chained() {
  boost::asio::io_context context;
  AsioChain chain{context, kChained};
  const auto start = bench::Clock::now();
  boost::asio::post(context, [&chain] { chain.step(); });
  context.run();
  return bench::rate(kChained, start);
}

// Another thread schedules; the loop's thread runs the callbacks as they come.
double loop_cross_thread() {
  EventLoop loop;
  long ran = 0;
  const auto start = bench::Clock::now();
  std::thread producer([&loop, &ran] {
    for (long i = 0; i < kCrossThread; ++i) loop.call_soon_threadsafe([&ran] { ++ran; });
  });
  loop.run_until([&ran] { return ran == kCrossThread; });
  const double rate = bench::rate(kCrossThread, start);
  producer.join();
  return rate;
}

double asio_cross_thread() {
  boost::asio::io_context context;
  auto guard = boost::asio::make_work_guard(context);
  long ran = 0;
  const auto start = bench::Clock::now();
  std::thread producer([&context, &ran] {
    for (long i = 0; i < kCrossThread; ++i) {
      boost::asio::post(context, [&context, &ran] {
        if (++ran == kCrossThread) context.stop();
      });
    }
  });
  context.run();
  const double rate = bench::rate(kCrossThread, start);
  producer.join();
  return rate;
}

// Timers with deadlines spread over the first millisecond, run to the last.
double loop_timers() {
  EventLoop loop;
  long ran = 0;
  const auto start = bench::Clock::now();
  for (long i = 0; i < kTimers; ++i) loop.call_later(std::chrono::nanoseconds(i * 10), [&ran] { ++ran; });
  loop.run_until([&ran] { return ran == kTimers; });
  return bench::rate(kTimers, start);
}

double asio_timers() {
  boost::asio::io_context context;
  long ran = 0;
  std::vector<std::unique_ptr<boost::asio::steady_timer>> timers;
  timers.reserve(kTimers);
  const auto start = bench::Clock::now();
  for (long i = 0; i < kTimers; ++i) {
    timers.push_back(std::make_unique<boost::asio::steady_timer>(context, std::chrono::nanoseconds(i * 10)));
    timers.back()->async_wait([&ran](const boost::system::error_code&) { ++ran; });
  }
  context.run();
  return bench::rate(kTimers, start);
}

// A loop with nothing to do, run by its own thread.
double loop_idle() {
  EventLoop loop;
  std::thread runner([&loop] { loop.run_forever(); });
  std::promise<void> ran;
  loop.call_soon_threadsafe([&ran] { ran.set_value(); });
  ran.get_future().get();
  const double percent = bench::idle_cpu_percent();
  loop.call_soon_threadsafe([&loop] { loop.stop(); });
  runner.join();
  return percent;
}

double asio_idle() {
  boost::asio::io_context context;
  auto guard = boost::asio::make_work_guard(context);
  std::thread runner([&context] { context.run(); });
  std::promise<void> ran;
  boost::asio::post(context, [&ran] { ran.set_value(); });
  ran.get_future().get();
  const double percent = bench::idle_cpu_percent();
  guard.reset();
  runner.join();
  return percent;
}

}  // namespace

void bench::add_loop_cases(std::vector<Case>& cases) {
  cases.push_back({"loop: 1e6 call_soon, then run", "io_context post", "items/s", true, loop_posts, asio_posts});
  cases.push_back({"loop: 2e5 chained callbacks", "io_context post", "items/s", true, loop_chained, asio_chained});
  cases.push_back({"loop: 2e5 call_soon_threadsafe, 2nd thread", "io_context post, 2nd thread", "items/s", true,
                   loop_cross_thread, asio_cross_thread});
  cases.push_back({"loop: 1e5 timers (call_later)", "asio::steady_timer", "items/s", true, loop_timers, asio_timers});
  cases.push_back({"loop: CPU while idle for 1 s", "io_context + work guard", "% CPU", false, loop_idle, asio_idle});
}
