// task.cpp: Task, a handle to a running operation (given, complete).
// The operation runs in its own co_spawn'ed coroutine; its completion handler
// stores the outcome and wakes every join() by cancelling a timer that never
// expires. A cancellation_signal bound to that handler is how cancel() reaches it.
#include "task.hpp"

#include <stdexcept>
#include <utility>

namespace gather_wait {

struct Task::State {
  explicit State(const asio::any_io_executor& ex)
      : finished(ex, asio::steady_timer::time_point::max()) {}

  asio::cancellation_signal cancel;  // bound to the co_spawn: emit() cancels the operation
  asio::steady_timer finished;       // never expires; cancel() on it wakes every join()
  bool done = false;
  int value = 0;
  std::exception_ptr error;
};

Task::Task(asio::any_io_executor ex, Op op) : state_(std::make_shared<State>(ex)) {
  // The handler holds the state, so the state lives as long as the operation
  // even when every Task handle is gone.
  auto on_finish = [state = state_](std::exception_ptr error, int value) {
    state->done = true;
    state->error = std::move(error);
    state->value = value;
    state->finished.cancel();
  };
  asio::co_spawn(ex, std::move(op), asio::bind_cancellation_slot(state_->cancel.slot(), std::move(on_finish)));
}

bool Task::done() const { return state_->done; }

int Task::result() const {
  if (!state_->done) throw std::logic_error("Task::result: the task is not done");
  if (state_->error) std::rethrow_exception(state_->error);
  return state_->value;
}

std::exception_ptr Task::exception() const { return state_->error; }

void Task::cancel() {
  // After completion the slot may still hold co_spawn's stale handler: never emit then.
  if (!state_->done) state_->cancel.emit(asio::cancellation_type::terminal);
}

asio::awaitable<void> Task::join() const {
  auto state = state_;  // keeps the state alive while this coroutine waits
  if (state->done) co_return;
  // Ends with operation_aborted both when the task finishes (the timer is
  // cancelled) and when this join() itself is cancelled: either way, return.
  boost::system::error_code ignored;
  co_await state->finished.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

}  // namespace gather_wait
