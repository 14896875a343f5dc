// task_group.hpp: structured concurrency for Asio coroutines, like Python's
// asyncio.TaskGroup. Children spawned into a group cannot outlive it: join()
// waits for every one of them. The first child to fail cancels its siblings,
// and join() then throws an ExceptionGroup holding every error, first one first.
#pragma once

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio.hpp>

namespace task_group {

namespace asio = boost::asio;

/// Every error the children of a group failed with, in the order they
/// happened (like Python's ExceptionGroup). A sibling that only stopped
/// because the group cancelled it is not an error.
class ExceptionGroup : public std::runtime_error {
 public:
  /// what(): "<n> error(s) in the task group; first: <what() of the first>".
  explicit ExceptionGroup(std::vector<std::exception_ptr> errors);
  const std::vector<std::exception_ptr>& errors() const { return errors_; }

 private:
  std::vector<std::exception_ptr> errors_;
};

/// A scope for child coroutines. Confined to one thread: spawn and join only
/// from coroutines on one io_context run by one thread.
class TaskGroup {
 public:
  explicit TaskGroup(asio::any_io_executor ex);

  /// Starts `child` now (like tg.create_task). A child may spawn more children.
  /// Throws std::logic_error once join() has returned (the scope is closed)
  /// and once a child has failed (the group is shutting down).
  void spawn(asio::awaitable<void> child);

  /// Waits until every child has finished, whether it returned, failed or was
  /// cancelled. As soon as one child fails, the others still running are
  /// cancelled (terminal cancellation: the operation each awaits ends with
  /// operation_aborted). Throws ExceptionGroup if any child failed; returns
  /// normally otherwise. Call it once, before the group goes out of scope.
  asio::awaitable<void> join();

  /// Children still running.
  std::size_t running() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace task_group
