// run_in_executor.cpp: hand the blocking call to a thread pool, await its end.
// co_spawn on the pool's executor runs a tiny coroutine there; its completion
// handler (use_awaitable) is dispatched back to the CALLER's executor, so the
// caller resumes on the loop thread, with the value or with the exception that
// co_spawn caught on the pool.
#include "run_in_executor.hpp"

#include <utility>

namespace run_in_executor {

asio::awaitable<int> run_blocking(asio::thread_pool& pool, std::function<int()> fn) {
  // While this co_await is pending the loop's thread is free: it runs the
  // other coroutines (timers, sockets) until the pool reports back.
  // MUTANT: the handler is called right on the pool thread, so the awaiting
  // coroutine resumes there instead of on its own executor.
  auto initiate = [&pool](auto handler, std::function<int()> f) {
    asio::post(pool, [handler = std::move(handler), f = std::move(f)]() mutable {
      std::exception_ptr error;
      int value = 0;
      try {
        value = f();
      } catch (...) {
        error = std::current_exception();
      }
      std::move(handler)(error, value);
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, int)>(
      initiate, asio::use_awaitable, std::move(fn));
}

}  // namespace run_in_executor
