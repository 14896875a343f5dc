// threadsafe_submit.cpp: build submit (see threadsafe_submit.hpp).
// Keep two promises: nothing of the job runs on the caller's thread, and the
// caller's future always ends: with the value, the exception, LoopStopped for
// a stopped loop, or broken_promise when the loop dies with the job queued.
// The primitives: asio::co_spawn (thread-safe: it posts, which wakes the loop)
// with a completion handler that owns a std::promise<int>.
#include "threadsafe_submit.hpp"

#include <stdexcept>
#include <utility>

namespace threadsafe_submit {

std::future<int> submit(asio::io_context& loop, std::function<asio::awaitable<int>()> job) {
  // TODO: a stopped loop never runs what is queued: return a future that already holds LoopStopped
  // (and queue nothing: a loop restarted later must not run a job its caller was told is refused).
  // TODO: co_spawn job on the loop; its completion handler moves the value or the exception into a std::promise.
  (void)loop, (void)job;
  throw std::logic_error("TODO: submit");
}

}  // namespace threadsafe_submit
