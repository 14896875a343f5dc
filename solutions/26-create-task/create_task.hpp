// create_task.hpp: asyncio.create_task() for Asio coroutines.
// A Task starts its operation the moment it is constructed and is awaited
// later; run_concurrently creates a task per operation first and only then
// collects the results, in INPUT order. run_one_by_one is the contrast: it
// awaits each operation before it starts the next. All on one io_context thread.
#pragma once

#include <memory>
#include <vector>

#include <boost/asio.hpp>

namespace create_task {

namespace asio = boost::asio;

/// An operation: a coroutine that has not started yet (like a Python
/// coroutine object). It finishes with an int or an exception.
using Op = asio::awaitable<int>;

/// A running operation, like asyncio.Task: constructing one starts `op` on `ex`
/// at once, whether or not anyone ever awaits it. Copies share the operation.
/// Confined to the io_context's thread: create and await it only from code
/// that runs on that io_context (e.g. inside a coroutine).
class Task {
 public:
  /// Starts `op` on `ex` now (asyncio.create_task). The operation keeps running
  /// when every handle is gone.
  Task(asio::any_io_executor ex, Op op);

  /// Completes when the operation has finished: gives its value or rethrows
  /// its exception. May be awaited any number of times, before or after the end.
  asio::awaitable<int> result() const;

  /// True once the operation has finished, with a value or an exception.
  bool done() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// Awaits the operations one after another: the next starts only when the
/// previous has finished (wall time = the sum). Values in input order; the
/// first exception stops it and propagates.
asio::awaitable<std::vector<int>> run_one_by_one(std::vector<Op> ops);

/// Starts every operation at once (one Task each), then collects the values in
/// INPUT order (wall time = the longest). If some throw, it still waits for
/// every task to finish, then rethrows the exception of the first failing
/// operation in input order.
asio::awaitable<std::vector<int>> run_concurrently(std::vector<Op> ops);

}  // namespace create_task
