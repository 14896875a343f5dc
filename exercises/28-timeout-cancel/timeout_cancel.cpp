// timeout_cancel.cpp: build with_timeout, Task and shield (see timeout_cancel.hpp).
// Keep one promise: a cancelled operation has STOPPED (what it awaited ended
// with operation_aborted and its clean-up ran) before anyone who cancelled it
// resumes, and its awaiter learns it was cancelled. The primitives: a
// cancellation_signal bound with bind_cancellation_slot, and a parallel group.
#include "timeout_cancel.hpp"

#include <stdexcept>
#include <utility>

#include <boost/asio/experimental/parallel_group.hpp>

namespace timeout_cancel {

asio::awaitable<int> with_timeout(Op op, std::chrono::milliseconds limit) {
  // TODO: race op against a steady_timer; when the timer wins, cancel op, wait until it has stopped, throw timed_out.
  (void)op, (void)limit;
  throw std::logic_error("TODO: with_timeout");
}

// TODO: what every copy of a Task shares (a cancellation_signal, the outcome, a way to wake result()).
struct Task::State {};

Task::Task(asio::any_io_executor ex, Op op) {
  // TODO: co_spawn op with a handler that records its outcome as it is, bound to this task's cancellation slot.
  (void)ex, (void)op;
  throw std::logic_error("TODO: Task::Task");
}

bool Task::done() const {
  // TODO: has the operation finished?
  throw std::logic_error("TODO: Task::done");
}

bool Task::cancelled() const {
  // TODO: did it finish by cancellation (system_error with operation_aborted)?
  throw std::logic_error("TODO: Task::cancelled");
}

void Task::cancel() {
  // TODO: emit terminal cancellation into the operation's slot, unless it is done.
  throw std::logic_error("TODO: Task::cancel");
}

asio::awaitable<int> Task::result() const {
  // TODO: wait until the operation has finished, then return its value or rethrow its exception.
  throw std::logic_error("TODO: Task::result");
}

asio::awaitable<int> shield(Op op) {
  // TODO: run op where the caller's cancellation cannot reach it; await its outcome.
  (void)op;
  throw std::logic_error("TODO: shield");
}

}  // namespace timeout_cancel
