// task.hpp: a handle to an operation that is already running (given, complete).
// Task is this exercise's asyncio.Task: constructing one starts the operation
// at once, like asyncio.create_task(); wait() takes tasks and reports which are
// done and which are still pending. You do not need to change this file.
#pragma once

#include <exception>
#include <memory>

#include <boost/asio.hpp>

namespace gather_wait {

namespace asio = boost::asio;

/// An operation: a coroutine that is not running yet (like a Python coroutine
/// object). co_spawn or Task start it; it finishes with an int or an exception.
using Op = asio::awaitable<int>;

/// A running operation, shared by every copy of the handle.
/// Confined to the io_context's one thread: create, query, cancel and join it
/// only from code that runs on that io_context (e.g. inside a coroutine).
class Task {
 public:
  /// Starts `op` on `ex` now. The operation keeps running when every handle
  /// is gone (as an asyncio task does); it ends only by finishing or by cancel().
  Task(asio::any_io_executor ex, Op op);

  /// True once the operation has finished, with a value or an exception.
  bool done() const;

  /// The value, or rethrows the operation's exception. Precondition: done().
  int result() const;

  /// The operation's exception (null when it returned a value or is not done).
  std::exception_ptr exception() const;

  /// Asks the operation to stop (terminal cancellation): the operation it is
  /// awaiting completes with operation_aborted. No effect once done().
  void cancel();

  /// Completes when the operation has finished; never throws. Cancelling a
  /// join() (e.g. as the loser of a parallel group) cancels only the waiting,
  /// never the task itself: that is what lets wait() leave tasks pending.
  asio::awaitable<void> join() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace gather_wait
