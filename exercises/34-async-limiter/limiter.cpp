// limiter.cpp: build a fair async semaphore and a token-bucket rate limiter.
// Invariants: never more than `count` permits held at once; waiters get permits
// in arrival order (a newcomer never overtakes the queue); over any window of T
// seconds at most burst + rate * T acquisitions. Suspend coroutines on
// asio::steady_timer (one per waiter), never block the thread.
#include "limiter.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <stdexcept>
#include <utility>

namespace limiter {

struct AsyncSemaphore::State {
  // TODO: what the semaphore shares between calls: the executor, the free permits, the queue of waiters.
};

AsyncSemaphore::AsyncSemaphore(asio::any_io_executor ex, int count) {
  // TODO: reject count < 0 with std::invalid_argument; make the state with `count` free permits.
  (void)ex, (void)count;
  throw std::logic_error("TODO: AsyncSemaphore::AsyncSemaphore");
}

asio::awaitable<void> AsyncSemaphore::acquire() {
  // TODO: take a free permit only if nobody waits; else queue up and suspend until release() hands you one (or you are cancelled).
  throw std::logic_error("TODO: AsyncSemaphore::acquire");
}

bool AsyncSemaphore::try_acquire() {
  // TODO: take a permit only if one is free and nobody is queued; never wait.
  throw std::logic_error("TODO: AsyncSemaphore::try_acquire");
}

void AsyncSemaphore::release() {
  // TODO: give the permit to the first waiter if there is one, else back to the pool.
  throw std::logic_error("TODO: AsyncSemaphore::release");
}

int AsyncSemaphore::available() const {
  // TODO: the free permits now.
  throw std::logic_error("TODO: AsyncSemaphore::available");
}

std::size_t AsyncSemaphore::waiting() const {
  // TODO: the coroutines suspended in acquire() now.
  throw std::logic_error("TODO: AsyncSemaphore::waiting");
}

struct RateLimiter::State {
  // TODO: the bucket: executor, rate, capacity, tokens and when they were last counted.
};

RateLimiter::RateLimiter(asio::any_io_executor ex, double rate_per_second, int burst) {
  // TODO: reject rate_per_second <= 0 or burst < 1 with std::invalid_argument; start with a full bucket.
  (void)ex, (void)rate_per_second, (void)burst;
  throw std::logic_error("TODO: RateLimiter::RateLimiter");
}

asio::awaitable<void> RateLimiter::acquire() {
  // TODO: add the tokens earned since last time (capped at burst), spend one, and if it is not earned yet, sleep on a steady_timer until it is.
  throw std::logic_error("TODO: RateLimiter::acquire");
}

bool RateLimiter::try_acquire() {
  // TODO: refill as acquire() does; spend a token only if a whole one is there (no debt); never wait.
  throw std::logic_error("TODO: RateLimiter::try_acquire");
}

}  // namespace limiter
