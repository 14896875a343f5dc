// Hidden tests of 23-event-loop: order (FIFO for call_soon; timers by
// deadline, then by scheduling order), timers never early and not very late,
// no CPU while the loop waits, call_soon_threadsafe waking a sleeping loop,
// readers, cancel, stop and run_until.
//
// A loop that never returns must not hang the test: a loop runs either under
// a safety timer (call_later(5 s, stop)) or on a thread of its own
// (LoopThread) that the main thread waits for with a deadline. Callbacks only
// record; the main thread asserts after the loop has returned.
#include <catch2/catch.hpp>

#include "event_loop.hpp"

#include <kata/test.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <system_error>
#include <unistd.h>

using namespace std::chrono_literals;
using Clock = EventLoop::Clock;

namespace {

/// Runs the loop with a safety net: a timer that stops it after `limit`.
/// Returns how long run_forever() took.
Clock::duration run_with_safety(EventLoop& loop, Clock::duration limit = 5s) {
  loop.call_later(limit, [&loop] { loop.stop(); });
  const auto start = Clock::now();
  loop.run_forever();
  return Clock::now() - start;
}

/// A loop that runs on a thread of its own: the main thread stays free to
/// assert and to wait with deadlines. The thread owns the loop with a
/// shared_ptr, so abandoning it (after a failed deadline) leaves nothing dangling.
class LoopThread {
 public:
  explicit LoopThread(std::function<void(EventLoop&)> setup) : loop_(std::make_shared<EventLoop>()) {
    setup(*loop_);
    auto finished = std::make_shared<std::promise<void>>();
    finished_ = finished->get_future();
    thread_ = std::thread([loop = loop_, finished] {
      try {
        loop->run_forever();
        finished->set_value();
      } catch (...) {
        finished->set_exception(std::current_exception());
      }
    });
  }
  ~LoopThread() {
    if (!thread_.joinable()) return;
    try {
      loop_->call_soon_threadsafe([loop = loop_.get()] { loop->stop(); });
    } catch (...) {  // a destructor must not throw; a loop that cannot be told to stop is abandoned below
    }
    if (finished_.wait_for(5s) == std::future_status::ready) {
      thread_.join();
    } else {
      thread_.detach();  // a loop that does not stop: abandoned, with its own shared_ptr
    }
  }
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  EventLoop& loop() { return *loop_; }

  /// True once run_forever() has returned within `limit` (then joined).
  bool finishes_within(std::chrono::milliseconds limit) {
    if (finished_.wait_for(limit) != std::future_status::ready) return false;
    thread_.join();
    finished_.get();
    return true;
  }

 private:
  std::shared_ptr<EventLoop> loop_;
  std::future<void> finished_;
  std::thread thread_;
};

/// A pipe, closed on scope exit: its read end is what the loop watches.
struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() {
    if (::pipe(fds) != 0) throw std::runtime_error("pipe() failed");
  }
  ~Pipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  int read_end() const { return fds[0]; }
  int write_end() const { return fds[1]; }
};

std::string joined(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += std::to_string(x) + " ";
  return s;
}

}  // namespace

TEST_CASE("call_soon runs callbacks once each in FIFO order", "[23-event-loop][unit]") {
  EventLoop loop;
  std::vector<int> order;
  for (int i = 0; i < 50; ++i) loop.call_soon([&order, i] { order.push_back(i); });
  loop.call_soon([&loop] { loop.stop(); });
  run_with_safety(loop);
  std::vector<int> expected;
  for (int i = 0; i < 50; ++i) expected.push_back(i);
  CAPTURE(joined(order));
  REQUIRE(order == expected);
}

TEST_CASE("a callback scheduled by a callback runs after those already queued", "[23-event-loop][unit]") {
  EventLoop loop;
  std::vector<int> order;
  loop.call_soon([&] {
    order.push_back(1);
    loop.call_soon([&] {
      order.push_back(4);
      loop.stop();
    });
  });
  loop.call_soon([&] { order.push_back(2); });
  loop.call_soon([&] { order.push_back(3); });
  run_with_safety(loop);
  CAPTURE(joined(order));
  REQUIRE(order == std::vector<int>{1, 2, 3, 4});
}

TEST_CASE("timers run by deadline and equal deadlines in the order they were scheduled", "[23-event-loop][unit]") {
  EventLoop loop;
  std::vector<int> order;
  const auto base = Clock::now() + 30ms;
  // Deadlines out of order, and many ties: ids 100.. share one deadline, ids
  // 200.. share a later one. Expected: by deadline, ties by id (= scheduling order).
  loop.call_at(base + 20ms, [&] { order.push_back(300); });
  for (int i = 0; i < 12; ++i) {
    loop.call_at(base + 10ms, [&order, i] { order.push_back(200 + i); });
    loop.call_at(base, [&order, i] { order.push_back(100 + i); });
  }
  loop.call_at(base - 20ms, [&] { order.push_back(1); });
  loop.call_at(base + 30ms, [&] { loop.stop(); });
  run_with_safety(loop);
  std::vector<int> expected{1};
  for (int i = 0; i < 12; ++i) expected.push_back(100 + i);
  for (int i = 0; i < 12; ++i) expected.push_back(200 + i);
  expected.push_back(300);
  CAPTURE(joined(order));
  REQUIRE(order == expected);
}

TEST_CASE("a timer never fires before its deadline and not much after", "[23-event-loop][unit]") {
  EventLoop loop;
  struct Shot {
    Clock::time_point due;
    Clock::time_point fired{};
  };
  const std::vector<std::chrono::microseconds> delays{0us, 1500us, 7us, 10ms, 33ms, 50ms, 120ms, 4700us};
  std::vector<Shot> shots(delays.size());
  for (std::size_t i = 0; i < delays.size(); ++i) {
    shots[i].due = Clock::now() + delays[i];
    loop.call_at(shots[i].due, [&shots, i] { shots[i].fired = Clock::now(); });
  }
  // A chain of short call_later()s: each one measured from when it was made.
  std::vector<Shot> chain(10);
  std::function<void(int)> next = [&](int i) {
    if (i == 10) return;
    chain[i].due = Clock::now() + 3ms;
    loop.call_later(3ms, [&, i] {
      chain[i].fired = Clock::now();
      next(i + 1);
    });
  };
  next(0);
  loop.call_later(300ms, [&] { loop.stop(); });
  run_with_safety(loop);

  for (std::size_t i = 0; i < shots.size(); ++i) {
    CAPTURE(i, delays[i].count());
    REQUIRE(shots[i].fired != Clock::time_point{});
    const auto early = std::chrono::duration_cast<std::chrono::microseconds>(shots[i].due - shots[i].fired);
    const auto late = std::chrono::duration_cast<std::chrono::milliseconds>(shots[i].fired - shots[i].due);
    CAPTURE(early.count(), late.count());
    INFO("a timer must not fire before its deadline (round the wait up, and run only timers whose time has come)");
    REQUIRE(shots[i].fired >= shots[i].due);
    REQUIRE(late < 500ms);
  }
  for (std::size_t i = 0; i < chain.size(); ++i) {
    CAPTURE(i);
    REQUIRE(chain[i].fired != Clock::time_point{});
    REQUIRE(chain[i].fired >= chain[i].due);
  }
}

TEST_CASE("a loop waiting for a timer sleeps and uses almost no CPU", "[23-event-loop][unit][timing]") {
  EventLoop loop;
  bool fired = false;
  loop.call_later(300ms, [&] {
    fired = true;
    loop.stop();
  });
  kata::CpuMeter meter;
  const auto took = run_with_safety(loop);
  const double load = meter.load();
  CAPTURE(load, std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
  REQUIRE(fired);
  INFO("while nothing is due the loop must block in epoll_wait with the time left to the next timer, not poll");
  REQUIRE(load < 0.05);
}

TEST_CASE("a loop with nothing scheduled sleeps until a reader's descriptor is ready", "[23-event-loop][unit][timing]") {
  Pipe pipe;
  std::atomic<int> reads{0};
  LoopThread running([&](EventLoop& loop) {
    loop.add_reader(pipe.read_end(), [&reads, fd = pipe.read_end()] {
      char c;
      if (::read(fd, &c, 1) == 1) ++reads;
    });
  });
  kata::CpuMeter meter;
  std::this_thread::sleep_for(300ms);  // nothing scheduled: the loop must sleep
  const double load = meter.load();
  REQUIRE(::write(pipe.write_end(), "x", 1) == 1);
  const auto deadline = Clock::now() + 2s;
  while (reads == 0 && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  CAPTURE(load);
  REQUIRE(reads == 1);
  REQUIRE(load < 0.05);
}

TEST_CASE("call_soon_threadsafe from another thread wakes a loop asleep on a 10 s timer", "[23-event-loop][unit]") {
  std::promise<void> running;
  auto running_future = running.get_future();
  std::atomic<long long> ran_at_ns{0};
  LoopThread loop_thread([&](EventLoop& loop) {
    loop.call_soon([&] { running.set_value(); });
    loop.call_later(10s, [&loop] { loop.stop(); });  // the only other thing it waits for
  });
  REQUIRE(kata::ready_within(running_future, 5s));
  // Not to provoke a race: to reach the state under test, the loop asleep in
  // epoll_wait with 10 s to go.
  std::this_thread::sleep_for(100ms);

  const auto sent = Clock::now();
  loop_thread.loop().call_soon_threadsafe([&ran_at_ns, &loop_thread] {
    ran_at_ns = (Clock::now().time_since_epoch()).count();
    loop_thread.loop().stop();
  });
  INFO("the callback waits for the 10 s timer: call_soon_threadsafe must wake the loop (eventfd)");
  REQUIRE(loop_thread.finishes_within(2s));
  const auto ran_at = Clock::time_point(Clock::duration(ran_at_ns.load()));
  CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(ran_at - sent).count());
  REQUIRE(ran_at >= sent);
  REQUIRE(ran_at - sent < 1s);
}

TEST_CASE("callbacks from several threads all run, each thread's in its order", "[23-event-loop][stress]") {
  constexpr int kThreads = 3;
  constexpr int kEach = 300;
  std::vector<std::vector<int>> seen(kThreads);  // touched only on the loop's thread
  std::atomic<int> total{0};
  kata::FailureLog log;
  LoopThread loop_thread([](EventLoop&) {});
  std::latch start(kThreads);
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      auto gen = kata::rng(static_cast<std::uint64_t>(t));
      start.arrive_and_wait();
      log.capture("call_soon_threadsafe", [&] {
        for (int i = 0; i < kEach; ++i) {
          loop_thread.loop().call_soon_threadsafe([&seen, &total, t, i] {
            seen[t].push_back(i);
            ++total;
          });
          kata::random_pause(gen);
        }
      });
    });
  }
  for (auto& s : senders) s.join();
  INFO(log.summary());
  REQUIRE(log.empty());
  const auto deadline = Clock::now() + 5s;
  while (total < kThreads * kEach && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
  REQUIRE(total == kThreads * kEach);
  loop_thread.loop().call_soon_threadsafe([&loop_thread] { loop_thread.loop().stop(); });
  REQUIRE(loop_thread.finishes_within(5s));
  for (int t = 0; t < kThreads; ++t) {
    std::vector<int> expected;
    for (int i = 0; i < kEach; ++i) expected.push_back(i);
    CAPTURE(t);
    REQUIRE(seen[t] == expected);
  }
}

TEST_CASE("add_reader runs its callback while the descriptor is readable, until remove_reader", "[23-event-loop][unit]") {
  Pipe pipe;
  EventLoop loop;
  std::string got;
  loop.add_reader(pipe.read_end(), [&] {
    char c;
    if (::read(pipe.read_end(), &c, 1) == 1) got += c;
    if (got.size() == 3) loop.remove_reader(pipe.read_end());
  });
  REQUIRE(::write(pipe.write_end(), "abcde", 5) == 5);  // level-triggered: one byte per call
  loop.call_later(100ms, [&] { loop.stop(); });
  run_with_safety(loop);
  REQUIRE(got == "abc");
  REQUIRE_FALSE(loop.remove_reader(pipe.read_end()));
}

TEST_CASE("a cancelled handle never runs", "[23-event-loop][unit]") {
  EventLoop loop;
  std::vector<std::string> ran;
  Handle soon = loop.call_soon([&] { ran.push_back("soon"); });
  Handle later = loop.call_later(30ms, [&] { ran.push_back("later"); });
  // Two timers due at the same instant: the first scheduled cancels the other,
  // which is already in this iteration's batch of ready callbacks.
  Handle same_turn;
  const auto when = Clock::now() + 10ms;
  loop.call_at(when, [&] {
    ran.push_back("canceller");
    same_turn.cancel();
  });
  same_turn = loop.call_at(when, [&] { ran.push_back("same turn"); });
  loop.call_soon([&] { ran.push_back("kept"); });
  soon.cancel();
  later.cancel();
  REQUIRE(soon.cancelled());
  loop.call_later(80ms, [&] { loop.stop(); });
  run_with_safety(loop);
  REQUIRE(ran == std::vector<std::string>{"kept", "canceller"});
}

TEST_CASE("stop ends run_forever after the current iteration and the loop runs again", "[23-event-loop][unit]") {
  EventLoop loop;
  std::vector<int> order;
  loop.call_soon([&] {
    order.push_back(1);
    loop.stop();
    loop.call_soon([&] { order.push_back(3); });  // next iteration: after the second run starts
  });
  loop.call_soon([&] { order.push_back(2); });  // same iteration as stop(): still runs
  const auto took = run_with_safety(loop);
  REQUIRE(took < 2s);
  REQUIRE(order == std::vector<int>{1, 2});
  loop.call_soon([&] { loop.stop(); });
  run_with_safety(loop);
  REQUIRE(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("run_until returns once its condition holds", "[23-event-loop][unit]") {
  EventLoop loop;
  bool done = false;
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    loop.call_later(5ms, tick);
  };
  loop.call_soon(tick);
  const auto start = Clock::now();  // before the timer is scheduled: took >= 60 ms
  loop.call_later(60ms, [&] { done = true; });
  bool safety_fired = false;
  loop.call_later(5s, [&] { safety_fired = true; done = true; });
  loop.run_until([&] { return done; });
  const auto took = Clock::now() - start;
  REQUIRE_FALSE(safety_fired);
  REQUIRE(took >= 60ms);
  REQUIRE(took < 2s);
  REQUIRE(ticks >= 2);
  // Already true: returns at once, running nothing.
  const int before = ticks;
  loop.run_until([] { return true; });
  REQUIRE(ticks == before);
}

TEST_CASE("the constructor throws system_error and keeps no descriptor when the process runs out of descriptors",
          "[23-event-loop][unit]") {
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  struct Restore {
    rlimit limit;
    ~Restore() { ::setrlimit(RLIMIT_NOFILE, &limit); }
  } restore{saved};
  // Descriptors are allocated lowest first: below the limit `lowest_free + room`
  // exactly `room` more can be opened.
  const int lowest_free = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(lowest_free >= 0);
  ::close(lowest_free);
  for (int room : {0, 1}) {  // 0: no room for the epoll set; 1: room for it but not for the eventfd
    CAPTURE(room);
    rlimit tight = saved;
    tight.rlim_cur = static_cast<rlim_t>(lowest_free + room);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
    int error = 0;
    try {
      EventLoop loop;
    } catch (const std::system_error& e) {
      error = e.code().value();
    }
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
    REQUIRE(error == EMFILE);
    INFO("a constructor that throws must close what it opened");
    const int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::close(probe);
    REQUIRE(probe == lowest_free);
  }
}
