// cpu_vs_io.cpp: run IO-bound calls concurrently and CPU-bound work in parallel.
// Both use one thread per piece of work and join them all before returning;
// the difference is what the threads do: blocked threads wait side by side on
// one core, busy threads need a core each to run side by side.
// Each thread writes only its own slot of a results vector, so no lock is needed.
#include "cpu_vs_io.hpp"

#include <numeric>
#include <stdexcept>
#include <mutex>
#include <thread>

std::vector<int> run_all_at_once(const std::vector<BlockingCall>& calls) {
  // MUTANT: results appended as the calls finish, not in input order.
  std::vector<int> results;
  std::mutex results_mutex;
  {
    // Start every call before waiting for any: a thread blocked in its call
    // uses no CPU, so all of them wait at the same time and the total wait is
    // the longest one, not the sum. Thread i writes results[i] only (distinct
    // elements are distinct objects: no data race), which also keeps the
    // input order whatever order the calls finish in.
    std::vector<std::jthread> threads;
    threads.reserve(calls.size());
    for (std::size_t i = 0; i < calls.size(); ++i) {
      threads.emplace_back([&calls, &results, &results_mutex, i] {
        const int value = calls[i]();
        std::lock_guard guard(results_mutex);
        results.push_back(value);
      });
    }
  }  // ~jthread joins each thread: every result is written before we read it.
  return results;
}

std::uint64_t parallel_sum(std::span<const std::uint64_t> data, std::size_t k, const ChunkSum& chunk_sum) {
  if (k == 0) throw std::invalid_argument("parallel_sum: k must be at least 1");
  // k chunks of size n / k, the first n % k of them one element longer: every
  // element is in exactly one chunk, and no thread gets much more work than
  // another (the slowest chunk decides when the whole sum is done).
  const std::size_t base = data.size() / k;
  const std::size_t extra = data.size() % k;
  std::vector<std::uint64_t> partial(k);
  {
    std::vector<std::jthread> threads;
    threads.reserve(k);
    std::size_t begin = 0;
    for (std::size_t i = 0; i < k; ++i) {
      const std::size_t length = base + (i < extra ? 1 : 0);
      const auto chunk = data.subspan(begin, length);
      begin += length;
      // Start all k threads first and join them only afterwards: joining
      // inside this loop would run the chunks one after another on k threads.
      threads.emplace_back([&chunk_sum, &partial, i, chunk] { partial[i] = chunk_sum(chunk); });
    }
  }  // all k joined here
  // Combining on one thread after the joins: no shared running total to race on.
  return std::accumulate(partial.begin(), partial.end(), std::uint64_t{0});
}

Executor pick_executor(TaskKind kind, Runtime runtime) {
  switch (kind) {
    case TaskKind::cpu_bound:
      // Parallelism needs several cores running code at once. C++ threads do
      // that; CPython threads cannot (the GIL runs one at a time), so CPython
      // needs processes, each with its own interpreter and its own GIL.
      return runtime == Runtime::cpython ? Executor::process_pool : Executor::thread_pool;
    case TaskKind::async_io:
      // Waiting costs no CPU: one thread can keep thousands of waits in
      // flight if nothing blocks it. An event loop is the cheapest concurrency.
      return Executor::event_loop;
    case TaskKind::blocking_io:
      // A blocking call holds its whole thread (and would stall an event
      // loop), so each wait needs a thread; threads are enough, even in
      // CPython, which releases the GIL while a thread is blocked.
      return Executor::thread_pool;
  }
  throw std::invalid_argument("pick_executor: unknown TaskKind");
}
