// A small program for the explore shim's own test (run_test.sh): a passing
// run, a failing one (an unguarded read-modify-write loses updates under some
// schedules) and a lock-order deadlock.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

#include <sys/syscall.h>
#include <unistd.h>

// Like the test harness (tests/support/main.cpp), a system call through
// syscall() before libc has set up the environment: the scheduler starts here
// and must still see KATA_EXPLORE_SEED and KATA_EXPLORE_TRACE.
__attribute__((section(".preinit_array"), used)) void (*const early_syscall)(int, char**, char**) =
    [](int, char**, char**) { syscall(SYS_getpid); };

namespace {

// Producer/consumer with a condition variable, a sleep, a future with a
// 5 s watchdog and a timed wait that times out: passes under every schedule.
int pass() {
  std::mutex m;
  std::condition_variable cv;
  std::queue<int> q;
  int sum = 0;
  std::thread consumer([&] {
    for (int i = 0; i < 20; ++i) {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return !q.empty(); });
      sum += q.front();
      q.pop();
    }
  });
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p)
    producers.emplace_back([&, p] {
      for (int i = 0; i < 10; ++i) {
        {
          std::lock_guard guard(m);
          q.push(p * 100 + i);
        }
        cv.notify_one();
        if (i % 4 == 0) std::this_thread::sleep_for(1ms);
      }
    });
  for (auto& t : producers) t.join();
  auto done = std::async(std::launch::async, [&] { consumer.join(); });
  if (done.wait_for(5s) != std::future_status::ready) return 2;
  // a wait that nobody ends: 2 s of virtual time, no real time
  std::unique_lock lock(m);
  auto start = std::chrono::steady_clock::now();
  bool woken = cv.wait_for(lock, 2s, [] { return false; });
  auto waited = std::chrono::steady_clock::now() - start;
  if (woken || waited < 2s) return 3;
  return sum == (0 + 9) * 10 / 2 + (100 + 109) * 10 / 2 ? 0 : 1;
}

// Two threads increment a counter with a lock around the read and another
// around the write: some schedules lose an update.
int fail() {
  std::mutex m;
  int counter = 0;
  auto work = [&] {
    for (int i = 0; i < 5; ++i) {
      int seen;
      {
        std::lock_guard guard(m);
        seen = counter;
      }
      std::lock_guard guard(m);
      counter = seen + 1;
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  std::printf("counter %d\n", counter);
  return counter == 10 ? 0 : 1;
}

// Two threads take two mutexes in opposite orders.
int deadlock() {
  std::mutex first, second;
  std::thread a([&] {
    for (int i = 0; i < 50; ++i) {
      std::lock_guard one(first);
      std::lock_guard two(second);
    }
  });
  std::thread b([&] {
    for (int i = 0; i < 50; ++i) {
      std::lock_guard two(second);
      std::lock_guard one(first);
    }
  });
  a.join();
  b.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "pass";
  if (std::strcmp(mode, "env") == 0) return std::getenv("KATA_EXPLORE_SEED") ? 0 : 3;  // main sees the environment
  if (std::strcmp(mode, "pass") == 0) return pass();
  if (std::strcmp(mode, "fail") == 0) return fail();
  if (std::strcmp(mode, "deadlock") == 0) return deadlock();
  return 64;
}
