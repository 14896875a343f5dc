// task_group.cpp: build a task group (structured concurrency), like asyncio.TaskGroup.
// Invariants: no child outlives join(); the first child to fail cancels the
// siblings at once; every error is kept, first one first, and a sibling that
// only stopped because it was cancelled is not an error. Primitives: co_spawn
// with a completion handler and a cancellation_signal per child; a steady_timer.
#include "task_group.hpp"

#include <map>
#include <utility>

namespace task_group {

ExceptionGroup::ExceptionGroup(std::vector<std::exception_ptr> errors)
    : std::runtime_error("TODO: ExceptionGroup"), errors_(std::move(errors)) {
  // TODO: the message "<n> error(s) in the task group; first: <what() of the first error>".
  throw std::logic_error("TODO: ExceptionGroup::ExceptionGroup");
}

struct TaskGroup::State {
  // TODO: the executor, the children still running (each with its cancellation_signal), the errors, a "done" timer.
};

TaskGroup::TaskGroup(asio::any_io_executor ex) {
  // TODO: make the shared state.
  (void)ex;
  throw std::logic_error("TODO: TaskGroup::TaskGroup");
}

void TaskGroup::spawn(asio::awaitable<void> child) {
  // TODO: refuse after join() and after a failure; co_spawn the child with its own cancellation slot and a handler that records its end
  // (an error is a failure, operation_aborted too, unless the group had cancelled that child).
  (void)child;
  throw std::logic_error("TODO: TaskGroup::spawn");
}

asio::awaitable<void> TaskGroup::join() {
  // TODO: wait until no child is running; then throw ExceptionGroup if any failed.
  throw std::logic_error("TODO: TaskGroup::join");
}

std::size_t TaskGroup::running() const {
  // TODO: how many children are still running.
  throw std::logic_error("TODO: TaskGroup::running");
}

}  // namespace task_group
