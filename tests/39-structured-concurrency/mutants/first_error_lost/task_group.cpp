// task_group.cpp: a task group on co_spawn, cancellation signals and one timer.
// Each child runs in its own co_spawn'ed coroutine bound to its own
// cancellation_signal, so the group can cancel exactly its own children. The
// child's completion handler is where the group learns everything: an error
// (record it; on the first, cancel the siblings), and the end of the last child
// (wake join() by cancelling a timer that never expires).
#include "task_group.hpp"

#include <map>
#include <utility>

namespace task_group {

namespace {

std::string message_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "a non-std exception";
  }
}

// True if `error` is the operation_aborted a cancelled child ends with.
bool is_cancellation(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const boost::system::system_error& e) {
    return e.code() == asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

}  // namespace

ExceptionGroup::ExceptionGroup(std::vector<std::exception_ptr> errors)
    : std::runtime_error(std::to_string(errors.size()) + " error(s) in the task group; first: " +
                         message_of(errors.front())),
      errors_(std::move(errors)) {}

struct TaskGroup::State {
  explicit State(asio::any_io_executor e) : ex(e), all_done(e, asio::steady_timer::time_point::max()) {}

  asio::any_io_executor ex;
  std::map<std::size_t, std::shared_ptr<asio::cancellation_signal>> children;  // the ones still running
  std::size_t next_id = 0;
  std::vector<std::exception_ptr> errors;  // in the order they happened
  bool failing = false;                    // a child failed: the siblings have been cancelled
  bool closed = false;                     // join() has returned
  asio::steady_timer all_done;             // never expires; cancelled when the last child ends
};

TaskGroup::TaskGroup(asio::any_io_executor ex) : state_(std::make_shared<State>(std::move(ex))) {}

void TaskGroup::spawn(asio::awaitable<void> child) {
  auto state = state_;
  if (state->closed) throw std::logic_error("TaskGroup::spawn: the group has been joined");
  // Once a child has failed the group is shutting down: a new child would only
  // be cancelled (Python's TaskGroup refuses it too).
  if (state->failing) throw std::logic_error("TaskGroup::spawn: the group is shutting down after a failure");
  const std::size_t id = state->next_id++;
  auto cancel = std::make_shared<asio::cancellation_signal>();
  state->children.emplace(id, cancel);
  // The handler keeps the signal alive until the child has completed.
  auto on_end = [state, id, cancel](std::exception_ptr error) {
    state->children.erase(id);
    // A sibling we cancelled ends with operation_aborted: that is not an error.
    if (error && !(state->failing && is_cancellation(error))) {
      state->errors.assign(1, error);  // BUG: keeps only the latest error
      if (!state->failing) {
        // The first failure: cancel every sibling still running, now, not at join().
        state->failing = true;
        for (auto& sibling : state->children) sibling.second->emit(asio::cancellation_type::terminal);
      }
    }
    if (state->children.empty()) state->all_done.cancel();
  };
  asio::co_spawn(state->ex, std::move(child), asio::bind_cancellation_slot(cancel->slot(), std::move(on_end)));
}

asio::awaitable<void> TaskGroup::join() {
  auto state = state_;
  // The scope ends only when every child has: none may outlive the group.
  if (!state->children.empty()) co_await state->all_done.async_wait(asio::as_tuple(asio::use_awaitable));
  state->closed = true;
  if (!state->errors.empty()) throw ExceptionGroup(state->errors);
}

std::size_t TaskGroup::running() const { return state_->children.size(); }

}  // namespace task_group
