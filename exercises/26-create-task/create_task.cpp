// create_task.cpp: build Task (start now, await later) and the two ways to run
// several operations (see create_task.hpp).
// Keep two promises: run_concurrently starts EVERY operation before it awaits
// the first result, and it returns the values in INPUT order, not finish order.
// The primitives: asio::co_spawn with a completion handler, and a steady_timer
// that never expires (cancel() wakes whoever waits on it).
#include "create_task.hpp"

#include <exception>
#include <stdexcept>
#include <utility>

namespace create_task {

// The outcome of a task, shared by its handles and its completion handler.
struct Task::State {
  // TODO: hold what result() needs: whether the operation is done, its value or exception, and something to wait on.
};

Task::Task(asio::any_io_executor ex, Op op) : state_(std::make_shared<State>()) {
  // TODO: co_spawn `op` on `ex` now, with a handler that stores the outcome and wakes every waiter
  // (the handler must keep the state alive: the operation may outlive every Task handle).
  (void)ex, (void)op;
  throw std::logic_error("TODO: Task::Task");
}

asio::awaitable<int> Task::result() const {
  // TODO: wait until the operation is done (unless it already is), then return its value or rethrow its exception.
  throw std::logic_error("TODO: Task::result");
}

bool Task::done() const {
  // TODO: tell whether the operation has finished.
  throw std::logic_error("TODO: Task::done");
}

asio::awaitable<std::vector<int>> run_one_by_one(std::vector<Op> ops) {
  // TODO: co_await each operation in turn and collect the values (an exception ends the loop).
  (void)ops;
  throw std::logic_error("TODO: run_one_by_one");
}

asio::awaitable<std::vector<int>> run_concurrently(std::vector<Op> ops) {
  // TODO: create a Task for every operation first, then await their results in input order.
  (void)ops;
  throw std::logic_error("TODO: run_concurrently");
}

}  // namespace create_task
