// threadsafe_submit.cpp: hand a coroutine to a running loop from any thread.
// co_spawn on the loop's executor is thread-safe: it posts the coroutine's
// first step to the loop's queue, and posting wakes a loop that sleeps (in
// epoll_wait on a timer, or on its condition variable). The coroutine, the
// job's function included, then runs on the loop's thread; its completion
// handler, which owns the std::promise, carries the outcome back.
#include "threadsafe_submit.hpp"

#include <exception>
#include <utility>

namespace threadsafe_submit {

std::future<int> submit(asio::io_context& loop, std::function<asio::awaitable<int>()> job) {
  std::promise<int> promise;
  std::future<int> future = promise.get_future();
  // A stopped loop never runs what is queued (until someone calls restart()
  // and run() again): queueing the job would hand the caller a future that
  // hangs. Tell the caller at once instead, the way asyncio raises for a closed
  // loop. (A loop stopped just after this check still keeps its promise: it
  // either runs the job later or, destroyed, breaks the promise.)
  // MUTANT: no check for a stopped loop: the job is queued where nothing will run it.
  // co_spawn takes the function itself, not job(): Asio calls it on the loop's
  // thread and keeps it (and whatever the lambda captured) alive in the
  // coroutine frame until the coroutine ends. The handler runs on the loop's
  // thread when the coroutine ends, with the exception it threw or its value.
  // If the loop is destroyed first, the queued coroutine and this handler are
  // destroyed unrun, and so is the promise: the future gets broken_promise.
  asio::co_spawn(loop, std::move(job), [promise = std::move(promise)](std::exception_ptr error, int value) mutable {
    if (error) {
      promise.set_exception(std::move(error));
    } else {
      promise.set_value(value);
    }
  });
  return future;
}

}  // namespace threadsafe_submit
