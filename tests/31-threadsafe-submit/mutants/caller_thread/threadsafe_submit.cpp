// MUTANT caller_thread: runs the job to its end on a private io_context in
// the caller's thread; the job then touches the loop's state from a foreign
// thread (a data race) and the loop is never involved.
#include "threadsafe_submit.hpp"

#include <utility>

namespace threadsafe_submit {

std::future<int> submit(asio::io_context& loop, std::function<asio::awaitable<int>()> job) {
  std::promise<int> promise;
  std::future<int> future = promise.get_future();
  if (loop.stopped()) {
    promise.set_exception(std::make_exception_ptr(LoopStopped{}));
    return future;
  }
  asio::io_context private_loop;
  asio::co_spawn(private_loop, std::move(job), [promise = std::move(promise)](std::exception_ptr error, int value) mutable {
    if (error) {
      promise.set_exception(std::move(error));
    } else {
      promise.set_value(value);
    }
  });
  private_loop.run();
  return future;
}

}  // namespace threadsafe_submit
