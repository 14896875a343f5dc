// The noise profile's shim, preloaded (LD_PRELOAD) into a plain test binary.
//
// Ordering bugs and lost wake-ups hide behind a scheduler that happens to run
// threads in a friendly order. This shim interposes the pthread calls every
// lock, condition variable and thread goes through (std::, Boost and Asio
// alike) and, before handing over to the real call, sometimes yields or sleeps
// a few microseconds: the unlucky interleavings then show up in ordinary tests.
// The dice are seeded from KATA_SEED (one stream per thread, in the order the
// threads start), so `--seed N` injects the same pattern of delays again.
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "../real_function.hpp"

namespace {

std::uint64_t base_seed() {
  static const std::uint64_t seed = [] {
    const char* text = std::getenv("KATA_SEED");
    return text ? std::strtoull(text, nullptr, 10) : 1;
  }();
  return seed;
}

std::atomic<std::uint64_t> next_stream{0};

// splitmix64: tiny, allocation-free, good enough for dice.
struct Dice {
  std::uint64_t state;
  std::uint64_t roll() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

Dice& dice() {
  thread_local Dice d{base_seed() * 0x100000001b3ull + next_stream.fetch_add(1)};
  return d;
}

// Where a thread is about to take or give something: 1 in 8 calls yields,
// 1 in 64 sleeps up to 200 us.
void maybe_pause() {
  auto r = dice().roll();
  if ((r & 63) == 0) {
    timespec pause{0, static_cast<long>((r >> 8) % 200000)};
    nanosleep(&pause, nullptr);
  } else if ((r & 7) == 0) {
    sched_yield();
  }
}

using namespace kata_shim;

// A shim that cannot find what it wraps cannot run the test at all.
template <class F>
F next(const char* name, const char* version = nullptr) {
  auto f = real_function<F>(name, version);
  if (!f) std::abort();
  return f;
}

struct Start {
  void* (*routine)(void*);
  void* arg;
};

void* start_with_noise(void* raw) {
  Start start = *static_cast<Start*>(raw);
  delete static_cast<Start*>(raw);
  maybe_pause();
  return start.routine(start.arg);
}

}  // namespace

extern "C" {

int pthread_mutex_lock(pthread_mutex_t* m) {
  static const auto real = next<LockFn>("pthread_mutex_lock");
  maybe_pause();
  return real(m);
}

int pthread_mutex_unlock(pthread_mutex_t* m) {
  static const auto real = next<LockFn>("pthread_mutex_unlock");
  int result = real(m);
  maybe_pause();
  return result;
}

int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  static const auto real = next<CondWaitFn>("pthread_cond_wait", "GLIBC_2.3.2");
  maybe_pause();
  return real(c, m);
}

int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* t) {
  static const auto real = next<CondTimedWaitFn>("pthread_cond_timedwait", "GLIBC_2.3.2");
  maybe_pause();
  return real(c, m, t);
}

// libstdc++ 12 makes every steady-clock wait_for/wait_until this call.
int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const timespec* t) {
  static const auto real = next<CondClockWaitFn>("pthread_cond_clockwait", "GLIBC_2.30");
  maybe_pause();
  return real(c, m, clock, t);
}

int pthread_cond_signal(pthread_cond_t* c) {
  static const auto real = next<CondSignalFn>("pthread_cond_signal", "GLIBC_2.3.2");
  maybe_pause();
  return real(c);
}

int pthread_cond_broadcast(pthread_cond_t* c) {
  static const auto real = next<CondSignalFn>("pthread_cond_broadcast", "GLIBC_2.3.2");
  maybe_pause();
  return real(c);
}

int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*routine)(void*), void* arg) {
  static const auto real = next<CreateFn>("pthread_create");
  auto* start = new (std::nothrow) Start{routine, arg};
  if (!start) return real(thread, attr, routine, arg);
  int result = real(thread, attr, start_with_noise, start);
  if (result != 0) delete start;
  maybe_pause();
  return result;
}

}  // extern "C"
