// Hidden tests of 01-cpu-vs-io: IO-bound calls must wait side by side, a
// CPU-bound reduction must be split over k threads that run at the same time,
// results must be exact and in input order, and the executor table right.
//
// Concurrency is proved by a kata::Meeting (every call arrives and waits for
// all the others: only calls in flight together can all meet), by recorded
// intervals and thread ids, and by one generous sleep-based bound beside them.
// Never by a speedup.
// Every call under test runs through kata::value_within, with what it touches
// held in shared_ptrs, so a hang is a failed assertion, not a stuck binary.
#include <catch2/catch.hpp>

#include "cpu_vs_io.hpp"

#include <kata/test.hpp>
#include <kata/thread_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <numeric>
#include <span>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// 1, 2, ..., n.
std::vector<std::uint64_t> one_to(std::uint64_t n) {
  std::vector<std::uint64_t> data(n);
  std::iota(data.begin(), data.end(), std::uint64_t{1});
  return data;
}

/// A chunk as offsets into the data: [begin, begin + size).
struct Chunk {
  std::size_t begin;
  std::size_t size;
  bool operator<(const Chunk& other) const { return begin < other.begin || (begin == other.begin && size < other.size); }
};

/// Records which chunks chunk_sum was called with, from any thread.
class ChunkLog {
 public:
  explicit ChunkLog(const std::uint64_t* base) : base_(base) {}
  void add(std::span<const std::uint64_t> chunk) {
    std::lock_guard guard(mutex_);
    chunks_.push_back({chunk.empty() ? 0 : static_cast<std::size_t>(chunk.data() - base_), chunk.size()});
  }
  std::vector<Chunk> chunks() const {
    std::lock_guard guard(mutex_);
    return chunks_;
  }

 private:
  mutable std::mutex mutex_;
  const std::uint64_t* base_;
  std::vector<Chunk> chunks_;
};

/// Some real CPU work per element: what a CPU-bound reduction looks like.
std::uint64_t churn(std::uint64_t x) {
  std::uint64_t h = x;
  for (int round = 0; round < 20; ++round) h = (h ^ (h >> 7)) * 0x9E3779B97F4A7C15ull + round;
  return h % 1000003;
}

}  // namespace

TEST_CASE("run_all_at_once returns every result in input order", "[01-cpu-vs-io][unit][req:1]") {
  // Call i sleeps longer the earlier it comes, so they finish in reverse order.
  std::vector<BlockingCall> calls;
  for (int i = 0; i < 6; ++i) {
    calls.push_back([i] {
      std::this_thread::sleep_for(std::chrono::milliseconds(15 * (6 - i)));
      return i * 10;
    });
  }
  auto results = kata::value_within(5s, [calls] { return run_all_at_once(calls); });
  REQUIRE(results.has_value());
  REQUIRE(*results == std::vector<int>{0, 10, 20, 30, 40, 50});

  auto none = kata::value_within(5s, [] { return run_all_at_once({}); });
  REQUIRE(none.has_value());
  REQUIRE(none->empty());
}

TEST_CASE("run_all_at_once has every blocking call in flight at the same moment", "[01-cpu-vs-io][unit][req:2][req:6]") {
  constexpr int kCalls = 5;
  auto meeting = std::make_shared<kata::Meeting>(kCalls);
  auto recorder = std::make_shared<kata::IntervalRecorder>();
  std::vector<BlockingCall> calls;
  for (int i = 0; i < kCalls; ++i) {
    calls.push_back([meeting, recorder, i] {
      auto scope = recorder->record("call");
      meeting->arrive_and_wait(1s);
      return i;
    });
  }
  auto results = kata::value_within(5s, [calls] { return run_all_at_once(calls); });
  REQUIRE(results.has_value());
  INFO("the calls ran one after another, or fewer than " << kCalls << " at a time");
  REQUIRE(meeting->all_met());
  REQUIRE(recorder->max_overlap() == kCalls);
  REQUIRE(recorder->thread_count() == kCalls);
}

TEST_CASE("four blocking waits of 300 ms are all in flight at once and take less than the 1.2 s they take one by one",
          "[01-cpu-vs-io][unit][timing][req:2][req:6]") {
  auto recorder = std::make_shared<kata::IntervalRecorder>();
  std::vector<BlockingCall> calls(4, [recorder] {
    auto scope = recorder->record("wait");
    std::this_thread::sleep_for(300ms);
    return 1;
  });
  const auto start = kata::Clock::now();
  auto results = kata::value_within(5s, [calls] { return run_all_at_once(calls); });
  const auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(kata::Clock::now() - start);
  REQUIRE(results.has_value());
  REQUIRE(*results == std::vector<int>{1, 1, 1, 1});
  // The evidence: four plain waits (nothing makes them meet) that were all in
  // flight at one instant. Missing it needs 300 ms to start four threads.
  INFO("how many of the four waits were in flight at one instant (1 means one by one)");
  REQUIRE(recorder->max_overlap() == 4);
  // Beside it, a generous bound: one by one takes at least 1200 ms; together
  // about 300 ms, so a loaded machine has 900 ms to start four threads.
  CAPTURE(wall.count());
  REQUIRE(wall < 1200ms);
}

TEST_CASE("parallel_sum adds up every element exactly once in k balanced chunks", "[01-cpu-vs-io][unit][req:3]") {
  const auto [n, k] = GENERATE(table<std::uint64_t, std::size_t>({
      {1000, 4}, {10, 3}, {11, 4}, {7, 7}, {1, 1}, {3, 5}, {0, 2}}));
  CAPTURE(n, k);
  auto data = std::make_shared<std::vector<std::uint64_t>>(one_to(n));
  auto log = std::make_shared<ChunkLog>(data->data());
  auto sum = kata::value_within(5s, [data, log, k = k] {
    return parallel_sum(*data, k, [log](std::span<const std::uint64_t> chunk) {
      log->add(chunk);
      return std::accumulate(chunk.begin(), chunk.end(), std::uint64_t{0});
    });
  });
  REQUIRE(sum.has_value());
  REQUIRE(*sum == n * (n + 1) / 2);

  auto chunks = log->chunks();
  REQUIRE(chunks.size() == k);
  std::sort(chunks.begin(), chunks.end());
  // Non-empty chunks tile [0, n) in order; sizes differ by at most 1.
  std::size_t next = 0, smallest = n, largest = 0;
  for (const auto& c : chunks) {
    smallest = std::min(smallest, c.size);
    largest = std::max(largest, c.size);
    if (c.size == 0) continue;
    CAPTURE(c.begin, c.size);
    REQUIRE(c.begin == next);
    next += c.size;
  }
  REQUIRE(next == n);
  REQUIRE(largest - smallest <= 1);
}

TEST_CASE("parallel_sum runs its k chunks on k threads at the same time", "[01-cpu-vs-io][unit][req:4][req:6]") {
  constexpr std::size_t kThreads = 4;
  auto data = std::make_shared<std::vector<std::uint64_t>>(one_to(100));
  auto meeting = std::make_shared<kata::Meeting>(static_cast<int>(kThreads));
  auto recorder = std::make_shared<kata::IntervalRecorder>();
  // value_within runs parallel_sum on a thread of its own: that thread, not
  // this one, is the caller whose id no chunk may carry.
  auto caller = std::make_shared<std::thread::id>();
  auto sum = kata::value_within(5s, [data, meeting, recorder, caller] {
    *caller = std::this_thread::get_id();
    return parallel_sum(*data, kThreads, [meeting, recorder](std::span<const std::uint64_t> chunk) {
      auto scope = recorder->record("chunk");
      meeting->arrive_and_wait(1s);
      return std::accumulate(chunk.begin(), chunk.end(), std::uint64_t{0});
    });
  });
  REQUIRE(sum.has_value());
  REQUIRE(*sum == 5050);
  REQUIRE(recorder->size() == kThreads);
  REQUIRE(recorder->thread_count() == kThreads);
  INFO("the chunks did not all run at the same time");
  REQUIRE(meeting->all_met());
  REQUIRE(recorder->max_overlap() == static_cast<int>(kThreads));
  INFO("a chunk ran on the thread that called parallel_sum: k chunks need k threads of their own");
  for (const auto& interval : recorder->intervals()) REQUIRE(interval.thread != *caller);
}

TEST_CASE("parallel_sum adds partial results that do not fit in 32 bits exactly", "[01-cpu-vs-io][unit][req:3]") {
  // Each of 4 chunks reports 3e9 (above INT_MAX and UINT32_MAX / 2): a total
  // kept in an int or a uint32_t, e.g. std::accumulate(..., 0), wraps.
  auto data = std::make_shared<std::vector<std::uint64_t>>(one_to(8));
  auto sum = kata::value_within(5s, [data] {
    return parallel_sum(*data, 4, [](std::span<const std::uint64_t>) { return std::uint64_t{3'000'000'000}; });
  });
  REQUIRE(sum.has_value());
  REQUIRE(*sum == std::uint64_t{12'000'000'000});
}

TEST_CASE("parallel_sum of a CPU-bound reduction matches the one-thread answer", "[01-cpu-vs-io][unit][req:3][req:4][req:6]") {
  constexpr std::size_t kThreads = 3;
  auto data = std::make_shared<std::vector<std::uint64_t>>(one_to(60'000));
  std::uint64_t expected = 0;
  for (auto x : *data) expected += churn(x);
  auto recorder = std::make_shared<kata::IntervalRecorder>();
  auto sum = kata::value_within(10s, [data, recorder] {
    return parallel_sum(*data, kThreads, [recorder](std::span<const std::uint64_t> chunk) {
      auto scope = recorder->record("chunk");
      std::uint64_t partial = 0;
      for (auto x : chunk) partial += churn(x);
      return partial;
    });
  });
  REQUIRE(sum.has_value());
  REQUIRE(*sum == expected);
  REQUIRE(recorder->thread_count() == kThreads);
}

TEST_CASE("parallel_sum refuses zero threads", "[01-cpu-vs-io][unit][req:3]") {
  const std::vector<std::uint64_t> data{1, 2, 3};
  REQUIRE_THROWS_AS(parallel_sum(data, 0, [](std::span<const std::uint64_t>) { return std::uint64_t{0}; }),
                    std::invalid_argument);
}

TEST_CASE("pick_executor gives CPU-bound work parallelism and IO-bound work cheap concurrency",
          "[01-cpu-vs-io][unit][req:5]") {
  SECTION("CPU-bound work") {
    INFO("CPython's GIL runs one thread's bytecode at a time: only processes compute in parallel");
    REQUIRE(pick_executor(TaskKind::cpu_bound, Runtime::cpython) == Executor::process_pool);
    INFO("C++ threads run on every core; processes would only add copying");
    REQUIRE(pick_executor(TaskKind::cpu_bound, Runtime::cpp) == Executor::thread_pool);
  }
  SECTION("IO-bound work") {
    INFO("waits that do not block a thread: one event loop keeps them all in flight");
    REQUIRE(pick_executor(TaskKind::async_io, Runtime::cpython) == Executor::event_loop);
    REQUIRE(pick_executor(TaskKind::async_io, Runtime::cpp) == Executor::event_loop);
    INFO("a blocking call holds its thread: it needs a thread of its own (CPython releases the GIL while it waits)");
    REQUIRE(pick_executor(TaskKind::blocking_io, Runtime::cpython) == Executor::thread_pool);
    REQUIRE(pick_executor(TaskKind::blocking_io, Runtime::cpp) == Executor::thread_pool);
  }
}
