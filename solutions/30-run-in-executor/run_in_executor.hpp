// run_in_executor.hpp: loop.run_in_executor() for Asio coroutines.
// A blocking function (a sleep, a disk read, a C library call) must not run on
// the event loop's thread: while it runs, nothing else on the loop can. Run it
// on an asio::thread_pool instead, and resume the awaiting coroutine on its own
// executor (the loop's thread) with the function's value or exception.
#pragma once

#include <functional>

#include <boost/asio.hpp>

namespace run_in_executor {

namespace asio = boost::asio;

/// Runs `fn` on one of `pool`'s threads and completes with what it returned,
/// or rethrows what it threw. The awaiting coroutine resumes on its own
/// executor (never on the pool), and its event loop keeps running other work
/// while `fn` blocks. Safe to call from any coroutine; `pool` must outlive the call.
asio::awaitable<int> run_blocking(asio::thread_pool& pool, std::function<int()> fn);

}  // namespace run_in_executor
