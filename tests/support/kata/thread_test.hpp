// kata/thread_test.hpp: helpers for tests that start threads of their own:
// a meeting that only threads running at the same time can complete, a crew of
// threads waited for with one deadline, and a gate that holds threads back
// until the main thread opens it. Each wait inside them has a deadline, so a
// broken implementation becomes a failed assertion, never a stuck binary.
// (For "wait until n things happened" use kata::Countdown from test.hpp.)
// And what a test needs to see a thread blocked in the kernel and interrupt
// it there: its kernel id, its scheduler state, a SIGUSR1 that interrupts.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kata/test.hpp"

namespace kata {

/// n participants arrive and each waits until all n have arrived: they can all
/// meet only if all n run at the same time. One that waited `patience` in vain
/// gives the meeting up and every later one passes at once, so a sequential
/// implementation costs one `patience`, not n of them. Safe from any thread.
class Meeting {
 public:
  explicit Meeting(int participants) : expected_(participants) {}

  /// Arrives, then waits (at most `patience`) for all n to have arrived.
  void arrive_and_wait(std::chrono::milliseconds patience) {
    std::unique_lock lock(mutex_);
    ++arrived_;
    all_arrived_or_given_up_cv_.notify_all();
    if (!all_arrived_or_given_up_cv_.wait_for(lock, patience, [&] { return arrived_ >= expected_ || given_up_; })) {
      given_up_ = true;
      all_arrived_or_given_up_cv_.notify_all();
    }
  }

  /// True if all n were waiting at once at some point and nobody gave up.
  bool all_met() const {
    std::lock_guard guard(mutex_);
    return arrived_ >= expected_ && !given_up_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable all_arrived_or_given_up_cv_;
  const int expected_;
  int arrived_ = 0;
  bool given_up_ = false;
};

/// Threads a test starts and waits for with one deadline; what a thread throws
/// goes into `log`. The destructor joins the threads that finished (waiting at
/// most `grace` for the others) and detaches the rest, so a deadlock becomes a
/// failed REQUIRE; a thread must therefore hold what it touches by value or
/// shared_ptr. Used from the thread that owns it only.
class Crew {
 public:
  explicit Crew(std::shared_ptr<FailureLog> log, std::chrono::milliseconds grace = std::chrono::milliseconds(0))
      : log_(std::move(log)), grace_(grace) {}
  Crew(const Crew&) = delete;
  Crew& operator=(const Crew&) = delete;
  ~Crew() {
    const auto deadline = Clock::now() + grace_;
    for (std::size_t i = 0; i < threads_.size(); ++i) {
      if (done_[i].wait_until(deadline) == std::future_status::ready) {
        threads_[i].join();
      } else {
        threads_[i].detach();
      }
    }
  }

  /// Starts a thread that runs fn(), recording what it throws in the log.
  template <class F>
  void start(F fn) {
    auto finished = std::make_shared<std::promise<void>>();
    done_.push_back(finished->get_future());
    threads_.emplace_back([fn = std::move(fn), finished, log = log_]() mutable {
      log->capture("thread", fn);
      finished->set_value();
    });
  }

  /// Whether every thread has finished within `limit` (one deadline for all).
  bool all_done_within(std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    for (auto& d : done_) {
      if (d.wait_until(deadline) != std::future_status::ready) {
        request_stacks();
        return false;
      }
    }
    return true;
  }

  /// Whether the i-th thread started has finished, now.
  bool done(std::size_t i) const { return done_[i].wait_for(std::chrono::seconds(0)) == std::future_status::ready; }

 private:
  std::shared_ptr<FailureLog> log_;
  std::chrono::milliseconds grace_;
  std::vector<std::thread> threads_;
  std::vector<std::future<void>> done_;
};

/// A one-shot gate: threads wait in pass() until the main thread calls open()
/// (once). Safe from any thread.
class Gate {
 public:
  void open() { opener_.set_value(); }
  /// Blocks until open() or `limit`, whichever comes first, so no thread is
  /// left blocked by a test that failed before opening the gate.
  void pass(std::chrono::milliseconds limit = std::chrono::seconds(5)) const { (void)opened_.wait_for(limit); }

 private:
  std::promise<void> opener_;
  std::shared_future<void> opened_ = opener_.get_future().share();
};

// ------------------------------------------------------ blocked threads, signals

/// The calling thread's kernel id (for /proc/self/task/<tid> and tgkill).
inline pid_t os_tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

/// The scheduler state of thread `tid` of this process, from
/// /proc/self/task/<tid>/stat: 'S' while it sleeps in a blocking call, '?'
/// when it cannot be read (the thread has ended).
inline char thread_state(pid_t tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto close_paren = line.rfind(')');
  return close_paren == std::string::npos || close_paren + 2 >= line.size() ? '?' : line[close_paren + 2];
}

inline std::atomic<int> sigusr1_count{0};
extern "C" inline void kata_count_sigusr1(int) { sigusr1_count.fetch_add(1, std::memory_order_relaxed); }

/// While it lives, SIGUSR1 runs a handler installed WITHOUT SA_RESTART that
/// counts deliveries: a blocking call (read, write, send, recv, poll) it
/// interrupts returns early, partially or with EINTR, instead of resuming.
/// The previous action comes back with the destructor.
class InterruptingSignal {
 public:
  InterruptingSignal() {
    sigusr1_count = 0;
    struct sigaction action {};
    action.sa_handler = kata_count_sigusr1;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART, on purpose
    installed_ = ::sigaction(SIGUSR1, &action, &previous_) == 0;
  }
  ~InterruptingSignal() { ::sigaction(SIGUSR1, &previous_, nullptr); }
  InterruptingSignal(const InterruptingSignal&) = delete;
  InterruptingSignal& operator=(const InterruptingSignal&) = delete;

  /// Whether the handler was installed.
  bool installed() const { return installed_; }
  /// SIGUSR1s delivered since this guard was made.
  static int count() { return sigusr1_count.load(); }

 private:
  struct sigaction previous_ {};
  bool installed_ = false;
};

// -------------------------------------------------------------- idleness

/// Context switches of every thread of this process so far, voluntary (the
/// thread blocked: a wait, a sleep, a timed wait that timed out) and not, from
/// /proc/self/task/*/status. A thread blocked on a condition variable adds
/// none; one that polls with a 1 ms timed wait adds about 1000 a second.
inline long context_switches() {
  long total = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task", error)) {
    std::ifstream status(entry.path() / "status");
    std::string key;
    while (status >> key) {
      if (key == "voluntary_ctxt_switches:" || key == "nonvoluntary_ctxt_switches:") {
        long n = 0;
        status >> n;
        total += n;
      } else {
        status.ignore(4096, '\n');
      }
    }
  }
  return total;
}

}  // namespace kata
