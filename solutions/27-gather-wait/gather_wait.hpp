// gather_wait.hpp: asyncio.gather() and asyncio.wait() for Asio coroutines.
// gather runs operations and gives their results in INPUT order; the first
// error cancels the siblings still running. wait takes tasks that are already
// running and only reports which are done and which are pending: it never
// cancels anything. Built on asio::experimental::make_parallel_group.
#pragma once

#include <cstddef>
#include <exception>
#include <vector>

#include "task.hpp"

namespace gather_wait {

/// Runs every operation concurrently and returns their values in input order
/// (not in the order they finished). If one throws, the operations still
/// running are cancelled, gather waits until they have stopped, and then
/// rethrows the exception that happened first. An empty input gives {} at once.
asio::awaitable<std::vector<int>> gather(std::vector<Op> ops);

/// The outcome of one operation: an exception, or else a value.
struct Outcome {
  int value = 0;             ///< meaningful only when error is null
  std::exception_ptr error;  ///< what the operation threw, or null
};

/// gather(..., return_exceptions=True): runs every operation concurrently to
/// its end, cancels nothing, never throws for an operation's error, and
/// returns each one's outcome in input order.
asio::awaitable<std::vector<Outcome>> gather_settled(std::vector<Op> ops);

/// When wait() returns, like asyncio.FIRST_COMPLETED and friends.
enum class ReturnWhen {
  first_completed,  ///< as soon as at least one task is done
  first_exception,  ///< as soon as a task is done with an exception; else when all are done
  all_completed,    ///< when every task is done
};

/// Indices into the tasks given to wait(), each list ascending; together
/// they hold every index exactly once.
struct WaitResult {
  std::vector<std::size_t> done;
  std::vector<std::size_t> pending;
};

/// Waits until the condition `when` holds (at once if it already does) and
/// reports which tasks are done and which are still pending. It cancels
/// nothing and throws nothing for a task's error: the pending tasks keep
/// running, and the caller decides whether to join() them or cancel() them.
/// An empty input gives {{}, {}} at once.
asio::awaitable<WaitResult> wait(std::vector<Task> tasks, ReturnWhen when);

}  // namespace gather_wait
