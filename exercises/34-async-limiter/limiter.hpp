// limiter.hpp: limit how many asynchronous operations run at once, and how often.
// AsyncSemaphore lets at most `count` holders in at once; acquire() is an
// awaitable that suspends the coroutine (never the thread) and serves waiters
// first come, first served. RateLimiter is a token bucket on steady_timers:
// a burst at once, then `rate` acquisitions per second.
#pragma once

#include <cstddef>
#include <memory>

#include <boost/asio.hpp>

namespace limiter {

namespace asio = boost::asio;

/// An asynchronous counting semaphore, like asyncio.Semaphore, but fair.
/// Confined to one thread: use it only from coroutines on one io_context run
/// by one thread (or on one strand).
class AsyncSemaphore {
 public:
  /// `count` permits, all free. Throws std::invalid_argument if count < 0.
  AsyncSemaphore(asio::any_io_executor ex, int count);

  /// Takes a permit: at once if one is free and nobody is waiting, otherwise
  /// suspends until release() hands this caller a permit. Waiters get permits
  /// in the order they called acquire(). If the awaiting coroutine is
  /// cancelled while it waits, it leaves the queue without a permit and this
  /// throws boost::system::system_error(operation_aborted).
  asio::awaitable<void> acquire();

  /// Takes a permit only if that needs no waiting: one is free and nobody is
  /// queued (a try must not overtake the queue either). True if it took one.
  bool try_acquire();

  /// Gives a permit back: to the first waiter if there is one, else to the pool.
  void release();

  /// Free permits now.
  int available() const;

  /// Coroutines suspended in acquire() now.
  std::size_t waiting() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// A token bucket: holds at most `burst` tokens, gains `rate` tokens per
/// second, and each acquire() spends one. Callers that find it empty wait on
/// a timer for their own token, in the order they called acquire(); so over
/// any window of T seconds at most burst + rate * T acquisitions complete.
/// Confined to one thread, like AsyncSemaphore.
class RateLimiter {
 public:
  /// Starts full. Throws std::invalid_argument unless rate_per_second > 0 and burst >= 1.
  RateLimiter(asio::any_io_executor ex, double rate_per_second, int burst);

  /// Spends one token, waiting until it has been earned if the bucket is empty.
  asio::awaitable<void> acquire();

  /// Spends a token only if one has been earned and not promised to a waiter;
  /// never waits and never goes into debt. True if it spent one.
  bool try_acquire();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace limiter
