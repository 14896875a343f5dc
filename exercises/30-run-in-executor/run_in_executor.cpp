// run_in_executor.cpp: build run_blocking (see run_in_executor.hpp).
// Keep two promises: the blocking function runs on the pool, never on the
// loop's thread, and the awaiting coroutine resumes on the loop's thread with
// the function's value or its exception. The primitive: asio::co_spawn on the
// pool's executor, awaited with asio::use_awaitable.
#include "run_in_executor.hpp"

#include <stdexcept>
#include <utility>

namespace run_in_executor {

asio::awaitable<int> run_blocking(asio::thread_pool& pool, std::function<int()> fn) {
  // TODO: run fn on a thread of `pool` (no thread of your own) and co_await its value (or its exception,
  // as thrown) back on this coroutine's executor.
  (void)pool, (void)fn;
  throw std::logic_error("TODO: run_blocking");
}

}  // namespace run_in_executor
