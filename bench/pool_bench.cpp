// pool_bench.cpp: 20-thread-pool's ThreadPool against boost::asio::thread_pool,
// both with 2 worker threads.
#include "bench.hpp"

#include "thread_pool.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <future>
#include <vector>

#include <benchmark/benchmark.h>

namespace {

constexpr int kThreads = 2;
constexpr int kTinyTasks = 1'000'000;
constexpr int kFutureTasks = 200'000;

// Fire and forget: the caller posts every task, then waits for the pool to
// drain (shutdown / join run what is queued, then join the workers).
double pool_post() {
  std::atomic<long> done{0};
  ThreadPool pool(kThreads);
  const auto start = bench::Clock::now();
  for (int i = 0; i < kTinyTasks; ++i) pool.post([&done] { done.fetch_add(1, std::memory_order_relaxed); });
  pool.shutdown(true);
  return bench::rate(kTinyTasks, start);
}

double asio_post() {
  std::atomic<long> done{0};
  boost::asio::thread_pool pool(kThreads);
  const auto start = bench::Clock::now();
  for (int i = 0; i < kTinyTasks; ++i) {
    boost::asio::post(pool, [&done] { done.fetch_add(1, std::memory_order_relaxed); });
  }
  pool.join();
  return bench::rate(kTinyTasks, start);
}

// With a result: every task's value comes back through a std::future.
double pool_submit() {
  ThreadPool pool(kThreads);
  std::vector<std::future<int>> futures;
  futures.reserve(kFutureTasks);
  const auto start = bench::Clock::now();
  for (int i = 0; i < kFutureTasks; ++i) futures.push_back(pool.submit([i] { return i; }));
  long sum = 0;
  for (auto& f : futures) sum += f.get();
  benchmark::DoNotOptimize(sum);
  return bench::rate(kFutureTasks, start);
}

double asio_promise() {
  boost::asio::thread_pool pool(kThreads);
  std::vector<std::future<int>> futures;
  futures.reserve(kFutureTasks);
  const auto start = bench::Clock::now();
  for (int i = 0; i < kFutureTasks; ++i) {
    std::promise<int> promise;
    futures.push_back(promise.get_future());
    boost::asio::post(pool, [promise = std::move(promise), i]() mutable { promise.set_value(i); });
  }
  long sum = 0;
  for (auto& f : futures) sum += f.get();
  benchmark::DoNotOptimize(sum);
  pool.join();
  return bench::rate(kFutureTasks, start);
}

double pool_idle() {
  ThreadPool pool(kThreads);
  pool.submit([] {}).get();  // the workers have started and gone back to waiting
  return bench::idle_cpu_percent();
}

double asio_idle() {
  boost::asio::thread_pool pool(kThreads);
  std::promise<void> ran;
  boost::asio::post(pool, [&ran] { ran.set_value(); });
  ran.get_future().get();
  const double percent = bench::idle_cpu_percent();
  pool.join();
  return percent;
}

}  // namespace

void bench::add_pool_cases(std::vector<Case>& cases) {
  cases.push_back({"pool: 1e6 tiny tasks, post (2 threads)", "asio::thread_pool post", "items/s", true, pool_post,
                   asio_post});
  cases.push_back({"pool: 2e5 tasks with futures (2 threads)", "asio post + std::promise", "items/s", true,
                   pool_submit, asio_promise});
  cases.push_back({"pool: CPU while idle for 1 s", "asio::thread_pool", "% CPU", false, pool_idle, asio_idle});
}
