// kata/test.hpp: the harness every exercise's tests share.
//
// Rules it helps keep (docs/writing-tests.md):
//  - only the main thread asserts: Catch2 2.x assertions are not thread-safe, so
//    worker threads record into a FailureLog, IntervalRecorder or atomics;
//  - every blocking wait has a deadline, so a deadlock becomes a message
//    (the grader's per-test timeout is only the backstop);
//  - concurrency is judged by overlap, ordering, thread counts and CPU time
//    while idle, never by speedups;
//  - stress loops are bounded in iterations and time and seeded; the seed is
//    printed and KATA_SEED=<n> reproduces the same injected delays.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <condition_variable>
#include <optional>
#include <random>
#include <type_traits>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

namespace kata {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- deadlines

/// Asks the grader to take every thread's stack now (once per process): a
/// hang a test detects shows where each thread waits, as a grader timeout
/// does. Every helper below calls it when its deadline passes; a test that
/// waits on its own deadline calls it before failing. Outside the grader it
/// does nothing.
void request_stacks();

/// True when the future becomes ready within `limit`. Use as
/// `REQUIRE(kata::ready_within(f, 2s));` so a hang is a failed assertion.
template <class T, class Rep, class Period>
bool ready_within(std::future<T>& f, std::chrono::duration<Rep, Period> limit) {
  if (f.wait_for(limit) == std::future_status::ready) return true;
  request_stacks();
  return false;
}

/// Runs `fn` on its own thread and waits at most `limit` for it to return.
/// Returns false on timeout: the thread is then stuck (a deadlock, usually) and
/// is abandoned, so the test can fail with a message instead of hanging. Any
/// exception `fn` throws is rethrown here.
/// Whatever `fn` captures by reference must outlive an abandoned thread; after
/// a false result the test should end (REQUIRE does that).
template <class Rep, class Period>
bool finishes_within(std::chrono::duration<Rep, Period> limit, std::function<void()> fn) {
  auto task = std::make_shared<std::packaged_task<void()>>(std::move(fn));
  auto done = task->get_future();
  std::thread([task] { (*task)(); }).detach();
  if (done.wait_for(limit) != std::future_status::ready) {
    request_stacks();
    return false;
  }
  done.get();  // rethrows what fn threw
  return true;
}

/// Like finishes_within, but returns what `fn` returned (std::nullopt on
/// timeout). The value is moved out of a shared state, so an abandoned thread
/// never writes into the test's stack.
template <class Rep, class Period, class F>
auto value_within(std::chrono::duration<Rep, Period> limit, F fn) -> std::optional<std::invoke_result_t<F>> {
  using T = std::invoke_result_t<F>;
  auto task = std::make_shared<std::packaged_task<T()>>(std::move(fn));
  auto done = task->get_future();
  std::thread([task] { (*task)(); }).detach();
  if (done.wait_for(limit) != std::future_status::ready) {
    request_stacks();
    return std::nullopt;
  }
  return done.get();
}

/// Polls `pred` (sleeping 1 ms between calls) until it returns true or
/// `limit` passes, and returns whether it did: for a state no future or
/// condition variable announces (a thread blocked, a count reached). Use as
/// `REQUIRE(kata::eventually(5s, [&] { return done.load(); }));`. `pred`
/// runs on the calling thread. Past the deadline it asks for stacks
/// (request_stacks), as the other helpers do.
template <class Rep, class Period, class Pred>
bool eventually(std::chrono::duration<Rep, Period> limit, Pred pred) {
  const auto deadline = Clock::now() + limit;
  while (!pred()) {
    if (Clock::now() >= deadline) {
      request_stacks();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

/// A countdown that can be waited on with a deadline (std::latch cannot):
/// workers count_down(), the main thread `REQUIRE(c.wait_for(5s))`.
class Countdown {
 public:
  explicit Countdown(int count) : remaining_(count) {}
  void count_down() {
    std::lock_guard guard(mutex_);
    if (remaining_ > 0 && --remaining_ == 0) reached_zero_cv_.notify_all();
  }
  template <class Rep, class Period>
  bool wait_for(std::chrono::duration<Rep, Period> limit) {
    std::unique_lock lock(mutex_);
    return reached_zero_cv_.wait_for(lock, limit, [&] { return remaining_ == 0; });
  }
  int remaining() const {
    std::lock_guard guard(mutex_);
    return remaining_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable reached_zero_cv_;
  int remaining_;
};

// ------------------------------------------------- failures from worker threads

/// Collects failures seen by worker threads; the main thread asserts on it:
/// `REQUIRE(log.empty()); INFO(log.summary());`. Safe from any thread.
class FailureLog {
 public:
  void add(std::string message) {
    std::lock_guard guard(mutex_);
    if (messages_.size() < kMaxKept) messages_.push_back(std::move(message));
    ++count_;
  }

  /// Records a failure unless `condition` holds; returns `condition`.
  bool check(bool condition, std::string_view what, const char* file, int line) {
    if (!condition) {
      std::ostringstream out;
      out << file << ':' << line << ": " << what;
      add(out.str());
    }
    return condition;
  }

  /// Runs `fn`, recording any exception it throws as a failure.
  template <class F>
  void capture(std::string_view where, F&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      add(std::string(where) + ": threw " + e.what());
    } catch (...) {
      add(std::string(where) + ": threw a non-std exception");
    }
  }

  bool empty() const {
    std::lock_guard guard(mutex_);
    return count_ == 0;
  }

  std::size_t count() const {
    std::lock_guard guard(mutex_);
    return count_;
  }

  /// The first failures, one a line, and how many there were in all.
  std::string summary() const {
    std::lock_guard guard(mutex_);
    std::ostringstream out;
    out << count_ << " failure(s) in worker threads";
    for (const auto& m : messages_) out << "\n  " << m;
    if (count_ > messages_.size()) out << "\n  ...";
    return out.str();
  }

 private:
  static constexpr std::size_t kMaxKept = 10;
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
  std::size_t count_ = 0;
};

/// In a worker thread: `KATA_CHECK(log, balance >= 0);`
#define KATA_CHECK(log, condition) (log).check(static_cast<bool>(condition), #condition, __FILE__, __LINE__)

// ------------------------------------------------------------------ intervals

/// Records when things ran, so tests can prove overlap (concurrency) or its
/// absence (mutual exclusion). Safe from any thread.
class IntervalRecorder {
 public:
  struct Interval {
    std::string label;
    Clock::time_point start;
    Clock::time_point end;
    std::thread::id thread;
  };

  /// RAII: records [construction, destruction) under `label`.
  class Scope {
   public:
    Scope(IntervalRecorder& recorder, std::string label)
        : recorder_(recorder), label_(std::move(label)), start_(Clock::now()) {}
    ~Scope() { recorder_.add(std::move(label_), start_, Clock::now()); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    IntervalRecorder& recorder_;
    std::string label_;
    Clock::time_point start_;
  };

  Scope record(std::string label) { return Scope(*this, std::move(label)); }

  void add(std::string label, Clock::time_point start, Clock::time_point end) {
    std::lock_guard guard(mutex_);
    intervals_.push_back({std::move(label), start, end, std::this_thread::get_id()});
  }

  std::vector<Interval> intervals() const {
    std::lock_guard guard(mutex_);
    return intervals_;
  }

  std::size_t size() const {
    std::lock_guard guard(mutex_);
    return intervals_.size();
  }

  /// The largest number of intervals open at one instant.
  int max_overlap() const {
    std::vector<std::pair<Clock::time_point, int>> edges;
    for (const auto& i : intervals()) {
      edges.emplace_back(i.start, +1);
      edges.emplace_back(i.end, -1);
    }
    // At equal times close before open: touching intervals do not overlap.
    std::sort(edges.begin(), edges.end());
    int open = 0, most = 0;
    for (const auto& [when, delta] : edges) {
      open += delta;
      most = std::max(most, open);
    }
    return most;
  }

  /// How many distinct threads recorded intervals.
  std::size_t thread_count() const {
    std::vector<std::thread::id> ids;
    for (const auto& i : intervals()) ids.push_back(i.thread);
    std::sort(ids.begin(), ids.end());
    return static_cast<std::size_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Interval> intervals_;
};

// ------------------------------------------------------------------ CPU time

inline std::chrono::nanoseconds cpu_time(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

/// CPU time used by the whole process so far (all threads).
inline std::chrono::nanoseconds process_cpu_time() { return cpu_time(CLOCK_PROCESS_CPUTIME_ID); }

/// Measures CPU time used by the process while something should be idle:
/// a busy-waiting worker burns a whole core, a blocked one almost nothing.
class CpuMeter {
 public:
  CpuMeter() : start_cpu_(process_cpu_time()), start_wall_(Clock::now()) {}
  std::chrono::nanoseconds cpu() const { return process_cpu_time() - start_cpu_; }
  std::chrono::nanoseconds wall() const { return Clock::now() - start_wall_; }
  /// CPU time over wall time: about 1.0 per spinning thread, near 0 when idle.
  double load() const {
    auto w = wall().count();
    return w > 0 ? static_cast<double>(cpu().count()) / static_cast<double>(w) : 0.0;
  }

 private:
  std::chrono::nanoseconds start_cpu_;
  Clock::time_point start_wall_;
};

/// Threads the process has now (from /proc/self/status).
inline int os_thread_count() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "Threads:") {
      int n = 0;
      status >> n;
      return n;
    }
    status.ignore(4096, '\n');
  }
  return -1;
}

// --------------------------------------------------------------- seeded stress

/// The run's seed: KATA_SEED when set, else random. Printed once per process.
inline std::uint64_t seed() {
  static const std::uint64_t value = [] {
    std::uint64_t s = 0;
    if (const char* env = std::getenv("KATA_SEED"); env && *env) {
      s = std::strtoull(env, nullptr, 10);
    } else {
      s = (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    }
    std::cout << "kata: seed " << s << " (KATA_SEED=" << s << " repeats these delays)\n";
    return s;
  }();
  return value;
}

/// A random generator seeded from seed() and `stream`, so each worker thread
/// gets its own reproducible sequence.
inline std::mt19937_64 rng(std::uint64_t stream = 0) {
  return std::mt19937_64(seed() ^ (stream * 0x9E3779B97F4A7C15ull));
}

/// An injected delay: usually nothing, sometimes a yield, rarely a short sleep.
/// Widens race windows without relying on timing for correctness.
inline void random_pause(std::mt19937_64& gen) {
  auto roll = gen() % 100;
  if (roll < 60) return;
  if (roll < 95) {
    std::this_thread::yield();
    return;
  }
  std::this_thread::sleep_for(std::chrono::microseconds(gen() % 200));
}

struct StressLimits {
  int max_iterations = 1000;
  std::chrono::milliseconds max_time = 2s;
};

/// Calls body(iteration) until the iteration or time budget runs out and
/// returns how many iterations ran. Use from each worker thread.
template <class Body>
int stress(StressLimits limits, Body&& body) {
  const auto deadline = Clock::now() + limits.max_time;
  int i = 0;
  for (; i < limits.max_iterations && Clock::now() < deadline; ++i) body(i);
  return i;
}

// --------------------------------------------------------------------- IPC

/// A name for a shared-memory segment, queue or semaphore: the grader's
/// per-run KATA_IPC_PREFIX (it removes what is left with that prefix and
/// reports it as a leak), else a prefix unique to this process.
inline std::string ipc_name(std::string_view base) {
  static const std::string prefix = [] {
    if (const char* env = std::getenv("KATA_IPC_PREFIX"); env && *env) return std::string(env);
    return "kata_" + std::to_string(::getpid()) + "_";
  }();
  return prefix + std::string(base);
}

/// A vector of move-only values, such as coroutine operations: an
/// initializer_list would have to copy them.
template <class T, class... Values>
std::vector<T> vector_of(Values&&... values) {
  std::vector<T> all;
  all.reserve(sizeof...(values));
  (all.push_back(std::forward<Values>(values)), ...);
  return all;
}

}  // namespace kata
