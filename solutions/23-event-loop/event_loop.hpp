// event_loop.hpp: an event loop like asyncio's, on one thread: a ready queue
// (call_soon), a timer heap (call_later/call_at), readiness of descriptors
// through epoll (add_reader), and call_soon_threadsafe, which wakes a loop
// asleep in epoll_wait() through an eventfd.
// Invariants: callbacks run in FIFO order; timers by deadline, then in the
// order they were scheduled; never before their deadline; no CPU while idle.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <vector>

/// One scheduled callback, shared by the loop's queues and the Handle.
struct ScheduledCallback {
  std::function<void()> callback;
  std::atomic<bool> cancelled{false};
};

/// What call_soon / call_later / call_at / call_soon_threadsafe return.
/// cancel() before the callback has started and it never runs (Python:
/// asyncio.Handle / TimerHandle). Safe from any thread; copies share the state.
class Handle {
 public:
  Handle() = default;
  explicit Handle(std::shared_ptr<ScheduledCallback> state) : state_(std::move(state)) {}
  void cancel() {
    if (state_) state_->cancelled = true;
  }
  bool cancelled() const { return state_ && state_->cancelled; }

 private:
  std::shared_ptr<ScheduledCallback> state_;
};

/// A single-threaded event loop. Thread safety: every member is for the
/// thread that runs the loop (or, before it runs, the thread that owns it),
/// except call_soon_threadsafe(), which is safe from any thread.
class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using Callback = std::function<void()>;

  /// Creates the epoll instance and the wake-up eventfd. Throws std::system_error.
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// The loop's clock.
  Clock::time_point time() const { return Clock::now(); }

  /// Runs `callback` on a later iteration, after the callbacks already queued.
  Handle call_soon(Callback callback);
  /// Runs `callback` once `delay` has passed (never earlier).
  Handle call_later(Clock::duration delay, Callback callback);
  /// Runs `callback` once time() >= `when` (never earlier). Equal deadlines run
  /// in the order they were scheduled.
  Handle call_at(Clock::time_point when, Callback callback);
  /// call_soon() from any thread: also wakes the loop if it is asleep.
  Handle call_soon_threadsafe(Callback callback);

  /// While `fd` is readable, runs `callback` once per iteration (level
  /// triggered) until remove_reader(fd). Replaces an earlier reader of `fd`.
  void add_reader(int fd, Callback callback);
  /// Stops watching `fd`; false if it was not watched.
  bool remove_reader(int fd);

  /// Runs iterations until stop() is called.
  void run_forever();
  /// Runs iterations until `done()` is true (checked before the first and
  /// after each iteration): asyncio's run_until_complete, for any condition.
  void run_until(std::function<bool()> done);
  /// Makes run_forever()/run_until() return once the current iteration's
  /// callbacks have run. From the loop's thread; from another thread use
  /// call_soon_threadsafe([&] { loop.stop(); }).
  void stop();

 private:
  struct Timer {
    Clock::time_point when;
    std::uint64_t sequence;  // insertion order, to break ties between equal deadlines
    std::shared_ptr<ScheduledCallback> scheduled;
  };
  /// Orders the timer heap: std::priority_queue puts the "largest" on top,
  /// so "a after b" means a is greater.
  struct RunsLater {
    bool operator()(const Timer& a, const Timer& b) const;
  };

  /// One iteration: wait (for I/O, the next timer, or a wake-up; not at all if
  /// callbacks are ready), collect what is due, run the callbacks that were
  /// ready when it began.
  void run_once();
  /// Milliseconds epoll_wait() may sleep: 0, -1 (forever) or until the next
  /// timer, rounded up.
  int wait_timeout_ms() const;

  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd in the epoll set
  std::deque<std::shared_ptr<ScheduledCallback>> ready_;
  std::priority_queue<Timer, std::vector<Timer>, RunsLater> timers_;
  std::uint64_t next_sequence_ = 0;
  std::map<int, Callback> readers_;
  bool stopping_ = false;

  std::mutex threadsafe_mutex_;                                  // guards threadsafe_
  std::vector<std::shared_ptr<ScheduledCallback>> threadsafe_;  // from call_soon_threadsafe
};
