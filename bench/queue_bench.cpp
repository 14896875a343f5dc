// queue_bench.cpp: 19-blocking-queue's BoundedQueue against
// boost::sync_bounded_queue: one producer, one consumer, capacity 1024.
#include "bench.hpp"

#include "blocking_queue.hpp"

#include <boost/thread/concurrent_queues/sync_bounded_queue.hpp>

#include <benchmark/benchmark.h>

#include <thread>

namespace {

constexpr int kItems = 1'000'000;
constexpr int kCapacity = 1024;

double queue_spsc() {
  BoundedQueue queue(kCapacity);
  long sum = 0;
  const auto start = bench::Clock::now();
  std::thread consumer([&queue, &sum] {
    for (int i = 0; i < kItems; ++i) sum += queue.pop();
  });
  for (int i = 0; i < kItems; ++i) queue.push(i);
  consumer.join();
  benchmark::DoNotOptimize(sum);
  return bench::rate(kItems, start);
}

double boost_spsc() {
  boost::sync_bounded_queue<int> queue(kCapacity);
  long sum = 0;
  const auto start = bench::Clock::now();
  std::thread consumer([&queue, &sum] {
    for (int i = 0; i < kItems; ++i) sum += queue.pull_front();
  });
  for (int i = 0; i < kItems; ++i) queue.push_back(i);
  consumer.join();
  benchmark::DoNotOptimize(sum);
  return bench::rate(kItems, start);
}

}  // namespace

void bench::add_queue_cases(std::vector<Case>& cases) {
  cases.push_back({"queue: 1e6 ints, 1 producer/1 consumer, cap 1024", "boost::sync_bounded_queue", "items/s", true,
                   queue_spsc, boost_spsc});
}
