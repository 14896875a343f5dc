// gather_wait.cpp: gather, gather_settled and wait on one parallel group each.
// A parallel group starts a range of operations at once, reports each one's
// outcome by INPUT index (plus the order in which they finished) and, on the
// condition it is given, cancels the operations still running. It completes
// only when every operation in it has finished, cancelled ones included.
#include "gather_wait.hpp"

#include <utility>

#include <boost/asio/experimental/parallel_group.hpp>

namespace gather_wait {

namespace {

using asio::experimental::make_parallel_group;

// Each operation as a deferred co_spawn: nothing runs until the group launches
// them, and the group gives each one its own cancellation slot.
auto deferred_spawns(const asio::any_io_executor& ex, std::vector<Op>& ops) {
  std::vector<decltype(asio::co_spawn(ex, std::declval<Op>(), asio::deferred))> spawns;
  spawns.reserve(ops.size());
  for (auto& op : ops) spawns.push_back(asio::co_spawn(ex, std::move(op), asio::deferred));
  return spawns;
}

}  // namespace

asio::awaitable<std::vector<int>> gather(std::vector<Op> ops) {
  // A group of no operations would never complete: answer at once.
  if (ops.empty()) co_return std::vector<int>{};

  // Start them all together (concurrency); wait_for_one_error cancels the
  // siblings as soon as one throws, and the group still waits for them to stop,
  // so nothing gather started outlives it.
  auto ex = co_await asio::this_coro::executor;
  auto [order, errors, values] = co_await make_parallel_group(deferred_spawns(ex, ops))
                                     .async_wait(asio::experimental::wait_for_one_error(), asio::use_awaitable);

  // The first error is the first one in completion order: the cancelled
  // siblings also end with an error (operation_aborted), later.
  for (std::size_t i : order) {
    if (errors[i]) std::rethrow_exception(errors[i]);
  }
  // values is indexed by input position, whatever order they finished in.
  co_return std::move(values);
}

asio::awaitable<std::vector<Outcome>> gather_settled(std::vector<Op> ops) {
  if (ops.empty()) co_return std::vector<Outcome>{};

  // wait_for_all cancels nothing: every operation runs to its own end.
  auto ex = co_await asio::this_coro::executor;
  auto [order, errors, values] = co_await make_parallel_group(deferred_spawns(ex, ops))
                                     .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);

  std::vector<Outcome> outcomes(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    outcomes[i].error = errors[i];
    if (!errors[i]) outcomes[i].value = values[i];
  }
  co_return outcomes;
}

asio::awaitable<WaitResult> wait(std::vector<Task> tasks, ReturnWhen when) {
  auto ex = co_await asio::this_coro::executor;
  for (;;) {
    // Sort the tasks as they are now; the condition may already hold.
    WaitResult result;
    bool any_failed = false;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      if (tasks[i].done()) {
        result.done.push_back(i);
        any_failed = any_failed || tasks[i].exception() != nullptr;
      } else {
        result.pending.push_back(i);
      }
    }
    const bool enough = result.pending.empty() ||
                        (when == ReturnWhen::first_completed && !result.done.empty()) ||
                        (when == ReturnWhen::first_exception && any_failed);
    if (enough) co_return result;

    // Sleep until one more task finishes. We wait on join(), not on the task:
    // wait_for_one cancels the other join()s, and cancelling a join() never
    // cancels its task, so the pending tasks keep running.
    std::vector<decltype(asio::co_spawn(ex, tasks[0].join(), asio::deferred))> joins;
    for (std::size_t i : result.pending) joins.push_back(asio::co_spawn(ex, tasks[i].join(), asio::deferred));
    co_await make_parallel_group(std::move(joins)).async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  }
}

}  // namespace gather_wait
