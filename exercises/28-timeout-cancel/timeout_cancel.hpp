// timeout_cancel.hpp: timeouts, cancellable tasks and shield for Asio coroutines.
// with_timeout() races an operation against a timer and, when the timer wins,
// cancels the operation and waits until it has stopped (its clean-up included)
// before it throws. Task is a running operation you can cancel(); shield() runs
// an operation that its caller's cancellation must not reach.
#pragma once

#include <chrono>
#include <memory>

#include <boost/asio.hpp>

namespace timeout_cancel {

namespace asio = boost::asio;

/// An operation: a coroutine that is not running yet. It finishes with an int
/// or an exception; cancelled, it ends with boost::system::system_error whose
/// code is asio::error::operation_aborted.
using Op = asio::awaitable<int>;

/// asyncio.wait_for(op, timeout). Runs `op` and returns its value, or rethrows
/// its exception, as soon as it finishes. If `limit` passes first, `op` is
/// cancelled, with_timeout waits until it has stopped (its clean-up has run),
/// and then throws boost::system::system_error(asio::error::timed_out).
/// Cancelling with_timeout's caller cancels `op` too; the caller then sees
/// operation_aborted, not a timeout.
asio::awaitable<int> with_timeout(Op op, std::chrono::milliseconds limit);

/// A running operation (asyncio.Task): constructing one starts it at once.
/// Shared by every copy of the handle; the operation keeps running when every
/// handle is gone. Confined to the io_context's one thread: create, query,
/// cancel and await it only from code that runs on that io_context.
class Task {
 public:
  /// Starts `op` on `ex` now.
  Task(asio::any_io_executor ex, Op op);

  /// True once the operation has finished, with a value or an exception.
  bool done() const;

  /// True once the operation has finished by cancellation: it ended with
  /// system_error(operation_aborted).
  bool cancelled() const;

  /// Asks the operation to stop (terminal cancellation): what it is awaiting
  /// completes with operation_aborted and it runs its clean-up. Returns at
  /// once; await result() to know when it has stopped. No effect once done().
  void cancel();

  /// Waits until the operation has finished, then returns its value or
  /// rethrows its exception: a cancelled task throws system_error with
  /// operation_aborted, never a made-up value. Cancelling this wait (for
  /// example with with_timeout) ends only the wait, with operation_aborted:
  /// the task itself keeps running. Use cancel() to stop the task.
  asio::awaitable<int> result() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// asyncio.shield(op). Runs `op` so that the caller's cancellation cannot
/// reach it. Uncancelled, it returns op's value or rethrows op's exception.
/// If the caller is cancelled, the caller gets operation_aborted at once and
/// `op` runs on to its own end: whatever `op` uses must outlive the caller.
asio::awaitable<int> shield(Op op);

}  // namespace timeout_cancel
