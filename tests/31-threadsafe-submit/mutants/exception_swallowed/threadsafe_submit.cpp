// MUTANT exception_swallowed: a detached wrapper coroutine sets the promise's
// value, but the job's exception escapes the wrapper and co_spawn(detached)
// drops it; the destroyed promise gives broken_promise instead of the error.
#include "threadsafe_submit.hpp"

#include <memory>
#include <utility>

namespace threadsafe_submit {

namespace {

asio::awaitable<void> run_job(std::function<asio::awaitable<int>()> job, std::promise<int> promise) {
  promise.set_value(co_await job());
}

}  // namespace

std::future<int> submit(asio::io_context& loop, std::function<asio::awaitable<int>()> job) {
  std::promise<int> promise;
  std::future<int> future = promise.get_future();
  if (loop.stopped()) {
    promise.set_exception(std::make_exception_ptr(LoopStopped{}));
    return future;
  }
  asio::co_spawn(loop, run_job(std::move(job), std::move(promise)), asio::detached);
  return future;
}

}  // namespace threadsafe_submit
