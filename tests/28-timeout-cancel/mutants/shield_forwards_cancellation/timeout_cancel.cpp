// timeout_cancel.cpp: with_timeout, Task and shield (see timeout_cancel.hpp).
// Cancellation in Asio is a request delivered through a cancellation slot: the
// operation being awaited completes with operation_aborted, and the coroutine
// runs its clean-up and ends. A timeout is that request sent by a timer, and a
// shield is an operation started with a slot its caller does not hold.
#include "timeout_cancel.hpp"

#include <utility>

#include <boost/asio/experimental/parallel_group.hpp>

namespace timeout_cancel {

namespace {

// True when `error` is the exception a cancelled operation ends with.
bool is_cancellation(const std::exception_ptr& error) {
  if (!error) return false;
  try {
    std::rethrow_exception(error);
  } catch (const boost::system::system_error& e) {
    return e.code() == asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

}  // namespace

asio::awaitable<int> with_timeout(Op op, std::chrono::milliseconds limit) {
  // The operation and the timer race in one parallel group. wait_for_one()
  // cancels the loser as soon as either completes, and the group completes
  // only when BOTH have stopped: when the timer wins, the operation has been
  // cancelled and has finished its clean-up by the time we resume. (The
  // awaitable operator || waits for one *success*: an operation that fails
  // early would wait for the timer, and its error would turn into a timeout.)
  // If our caller is cancelled, the group passes that on to both.
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex, limit);
  auto [order, op_error, value, timer_error] =
      co_await asio::experimental::make_parallel_group(asio::co_spawn(ex, std::move(op), asio::deferred),
                                                       timer.async_wait(asio::deferred))
          .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);

  if (order[0] == 1 && !timer_error) {
    // The timer ran out (it was not cancelled) before the operation finished;
    // the operation has been cancelled and has stopped.
    throw boost::system::system_error(asio::error::timed_out);
  }
  // Otherwise the operation's own outcome: its value, its error, or the
  // operation_aborted it ended with when our caller was cancelled.
  if (op_error) {
    std::rethrow_exception(op_error);
  }
  co_return value;
}

// What every copy of a Task shares: the outcome, and two ways to wake people.
struct Task::State {
  explicit State(const asio::any_io_executor& ex) : finished(ex, asio::steady_timer::time_point::max()) {}

  asio::cancellation_signal cancel_signal;  // bound to the co_spawn: emit() cancels the operation
  asio::steady_timer finished;              // never expires; cancel() on it wakes every result()
  bool done = false;
  bool cancelled = false;
  int value = 0;
  std::exception_ptr error;
};

Task::Task(asio::any_io_executor ex, Op op) : state_(std::make_shared<State>(ex)) {
  // The completion handler keeps the state alive as long as the operation
  // runs, and records the exception as it is: a cancelled operation's
  // operation_aborted is kept for the awaiter, never turned into a value.
  auto on_finish = [state = state_](std::exception_ptr error, int value) {
    state->done = true;
    state->cancelled = is_cancellation(error);
    state->error = std::move(error);
    state->value = value;
    state->finished.cancel();
  };
  // The task's own signal, and no one else's, is bound to the operation.
  asio::co_spawn(ex, std::move(op), asio::bind_cancellation_slot(state_->cancel_signal.slot(), std::move(on_finish)));
}

bool Task::done() const { return state_->done; }

bool Task::cancelled() const { return state_->cancelled; }

void Task::cancel() {
  // Once done, the slot may still hold co_spawn's stale handler: never emit then.
  if (!state_->done) state_->cancel_signal.emit(asio::cancellation_type::terminal);
}

asio::awaitable<int> Task::result() const {
  auto state = state_;  // keeps the state alive while this coroutine waits
  if (!state->done) {
    // Ends with operation_aborted both when the task finishes (the timer is
    // cancelled by on_finish) and when this wait itself is cancelled. The
    // wait's cancellation reaches only this timer wait, never the task.
    co_await state->finished.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!state->done) {
      // Only this wait was cancelled: the task is still running. Say so.
      throw boost::system::system_error(asio::error::operation_aborted);
    }
  }
  if (state->error) {
    std::rethrow_exception(state->error);  // a cancelled task's operation_aborted too
  }
  co_return state->value;
}

asio::awaitable<int> shield(Op op) {
  // A task of its own: its cancellation slot belongs to the task, so our
  // caller's cancellation ends only our wait in result(), never the operation.
  // (co_await co_spawn(ex, op, use_awaitable) would not shield: co_spawn
  // connects the awaiting coroutine's cancellation slot to the new one.)
  auto ex = co_await asio::this_coro::executor;
  co_return co_await asio::co_spawn(ex, std::move(op), asio::use_awaitable);  // MUTANT
}

}  // namespace timeout_cancel
