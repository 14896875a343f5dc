// create_task.cpp: Task (start now, await later), and the two ways to run
// several operations. A Task's operation runs in its own co_spawn'ed coroutine;
// its completion handler stores the outcome and wakes every result() by
// cancelling a timer that never expires. run_concurrently creates all the
// tasks before it awaits the first one: that is the whole trick.
#include "create_task.hpp"

#include <exception>
#include <utility>

namespace create_task {

// The outcome, shared by the handles and the completion handler, so it lives
// as long as the operation even when every Task handle is gone.
struct Task::State {
  explicit State(const asio::any_io_executor& ex) : finished(ex, asio::steady_timer::time_point::max()) {}

  // Called once, by the completion handler: keep the outcome, wake the waiters.
  void finish(std::exception_ptr e, int v) {
    done = true;
    error = std::move(e);
    value = v;
    finished.cancel();
  }

  // Sleeps until finish() has run (at once if it already has).
  asio::awaitable<void> wait_done() {
    if (done) co_return;
    // Ends with operation_aborted when finish() cancels the timer. Nothing
    // else cancels this timer.
    boost::system::error_code ignored;
    co_await finished.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }

  asio::steady_timer finished;  // never expires; cancel() on it wakes every waiter
  bool done = false;
  int value = 0;
  std::exception_ptr error;
};

Task::Task(asio::any_io_executor ex, Op op) : state_(std::make_shared<State>(ex)) {
  // co_spawn starts the operation now (it runs as soon as this thread returns
  // to the io_context). The handler, not `detached`, receives its exception.
  auto on_finish = [state = state_](std::exception_ptr error, int value) { state->finish(std::move(error), value); };
  asio::co_spawn(ex, std::move(op), std::move(on_finish));
}

asio::awaitable<int> Task::result() const {
  auto state = state_;  // keeps the state alive while this coroutine waits
  co_await state->wait_done();
  if (state->error) std::rethrow_exception(state->error);
  co_return state->value;
}

bool Task::done() const { return state_->done; }

asio::awaitable<std::vector<int>> run_one_by_one(std::vector<Op> ops) {
  // `co_await op` starts the operation AND waits for its end, so the next one
  // cannot start before this one has finished.
  std::vector<int> values;
  values.reserve(ops.size());
  for (auto& op : ops) values.push_back(co_await std::move(op));
  co_return values;
}

asio::awaitable<std::vector<int>> run_concurrently(std::vector<Op> ops) {
  // MUTANT: every operation pushes its value as it finishes: completion order.
  {
    auto ex = co_await asio::this_coro::executor;
    auto values = std::make_shared<std::vector<int>>();
    auto all_done = std::make_shared<asio::steady_timer>(ex, asio::steady_timer::time_point::max());
    const std::size_t n = ops.size();
    for (auto& op : ops) {
      asio::co_spawn(ex, std::move(op), [values, all_done, n](std::exception_ptr, int value) {
        values->push_back(value);
        if (values->size() == n) all_done->cancel();
      });
    }
    if (values->size() < n) {
      boost::system::error_code ignored;
      co_await all_done->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    co_return *values;
  }
  // First start everything: each Task begins running now.
  auto ex = co_await asio::this_coro::executor;
  std::vector<Task> tasks;
  tasks.reserve(ops.size());
  for (auto& op : ops) tasks.emplace_back(ex, std::move(op));

  // Then collect, in input order. While we wait for task 0 the others keep
  // running, so a later task that finished first just hands its value over.
  // Every task is awaited, even after a failure: nothing is left running.
  std::vector<int> values(tasks.size());
  std::exception_ptr first_error;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    try {
      values[i] = co_await tasks[i].result();
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
  co_return values;
}

}  // namespace create_task
