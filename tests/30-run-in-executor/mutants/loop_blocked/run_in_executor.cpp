// run_in_executor.cpp: hand the blocking call to a thread pool, await its end.
// co_spawn on the pool's executor runs a tiny coroutine there; its completion
// handler (use_awaitable) is dispatched back to the CALLER's executor, so the
// caller resumes on the loop thread, with the value or with the exception that
// co_spawn caught on the pool.
#include "run_in_executor.hpp"

#include <utility>

namespace run_in_executor {

namespace {

// Runs on a pool thread: blocking here blocks that thread only.
asio::awaitable<int> call(std::function<int()> fn) {
  co_return fn();
}

}  // namespace

asio::awaitable<int> run_blocking(asio::thread_pool& pool, std::function<int()> fn) {
  // While this co_await is pending the loop's thread is free: it runs the
  // other coroutines (timers, sockets) until the pool reports back.
  // MUTANT: the blocking call runs right here, on the loop's thread.
  (void)pool;
  co_return co_await call(std::move(fn));
}

}  // namespace run_in_executor
