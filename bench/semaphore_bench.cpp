// semaphore_bench.cpp: 13-semaphore's Semaphore (mutex + condition variable)
// against std::counting_semaphore (an atomic counter, futex waits), to test
// the exercise README's claim that the standard one is faster.
#include "bench.hpp"

#include "semaphore.hpp"

#include <semaphore>
#include <thread>

namespace {

constexpr int kUncontended = 1'000'000;
constexpr int kHandoffs = 100'000;

// One thread, a permit always free: the cost of acquire() + release() alone.
template <class Sem>
double uncontended() {
  Sem sem(1);
  const auto start = bench::Clock::now();
  for (int i = 0; i < kUncontended; ++i) {
    sem.acquire();
    sem.release();
  }
  return bench::rate(kUncontended, start);
}

// Two threads hand a turn back and forth: every acquire() blocks until the
// other thread's release(), so each handoff is a sleep and a wake-up.
template <class Sem>
double ping_pong() {
  Sem ping(0);
  Sem pong(0);
  const auto start = bench::Clock::now();
  std::thread other([&] {
    for (int i = 0; i < kHandoffs; ++i) {
      ping.acquire();
      pong.release();
    }
  });
  for (int i = 0; i < kHandoffs; ++i) {
    ping.release();
    pong.acquire();
  }
  other.join();
  return bench::rate(kHandoffs, start);
}

}  // namespace

void bench::add_semaphore_cases(std::vector<Case>& cases) {
  cases.push_back({"semaphore: 1e6 acquire+release, 1 thread", "std::counting_semaphore", "items/s", true,
                   uncontended<Semaphore>, uncontended<std::counting_semaphore<>>});
  cases.push_back({"semaphore: 1e5 ping-pong handoffs, 2 threads", "std::counting_semaphore", "items/s", true,
                   ping_pong<Semaphore>, ping_pong<std::counting_semaphore<>>});
}
