// threadsafe_submit.hpp: asyncio.run_coroutine_threadsafe() for Boost.Asio.
// An io_context is confined to the thread that runs it: its coroutines and
// their state belong to that thread. Another thread may still hand it work,
// because posting to an io_context is thread-safe and wakes it up. submit()
// does that and gives the foreign thread a std::future for the job's result.
#pragma once

#include <functional>
#include <future>
#include <stdexcept>

#include <boost/asio.hpp>

namespace threadsafe_submit {

namespace asio = boost::asio;

/// What the future of a job holds when submit() was called on a stopped loop
/// (stop() was called, or run() ran out of work): a stopped loop runs nothing
/// of what is queued, so the caller is told at once instead of waiting forever.
class LoopStopped : public std::runtime_error {
 public:
  LoopStopped() : std::runtime_error("submit: the event loop is stopped") {}
};

/// Runs job() as a coroutine on `loop`'s thread (the function is called there
/// too, never on the caller's thread) and returns a future for what it returns
/// or throws. Safe to call from any thread, also before the loop runs: the job
/// waits in the loop's queue until run() picks it up. The future
///   - holds the job's value, or rethrows the job's exception;
///   - holds LoopStopped at once if the loop is stopped at the time of the call;
///   - throws std::future_error (broken_promise) if the loop is destroyed
///     before the job finished: it never hangs on a dead loop.
/// Never block on the future on the loop's own thread: the job needs that thread.
std::future<int> submit(asio::io_context& loop, std::function<asio::awaitable<int>()> job);

}  // namespace threadsafe_submit
