// lease_pool.cpp: Pool and with_lease (see lease_pool.hpp).
// A waiting acquire() sleeps on its own timer that never expires; release()
// wakes exactly one waiter by handing it the connection and cancelling that
// timer. with_lease catches whatever ended the body, shields itself from the
// cancellation that may have ended it, co_awaits the release, then rethrows.
#include "lease_pool.hpp"

#include <algorithm>
#include <deque>
#include <exception>
#include <utility>
#include <vector>

namespace async_context {

namespace {

// One acquire() waiting for a connection.
struct Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : wake(ex, asio::steady_timer::time_point::max()) {}
  asio::steady_timer wake;  // never expires; release() cancels it to wake this waiter
  bool granted = false;
  int connection = -1;
};

}  // namespace

struct Pool::State {
  asio::any_io_executor ex;
  Reset reset;
  std::vector<int> free;                        // connections nobody holds
  std::deque<std::shared_ptr<Waiter>> waiters;  // first come, first served
  int in_use = 0;
};

Pool::Pool(asio::any_io_executor ex, int limit, Reset reset) : state_(std::make_shared<State>()) {
  state_->ex = std::move(ex);
  state_->reset = std::move(reset);
  for (int c = limit - 1; c >= 0; --c) state_->free.push_back(c);
}

asio::awaitable<Lease> Pool::acquire() {
  auto state = state_;
  // A free connection, and nobody ahead of us: take it now.
  if (!state->free.empty() && state->waiters.empty()) {
    Lease lease{state->free.back()};
    state->free.pop_back();
    ++state->in_use;
    co_return lease;
  }
  // Otherwise queue up and sleep without blocking the thread. release()
  // hands us a connection (granted) and wakes us; a cancellation wakes us too.
  auto me = std::make_shared<Waiter>(state->ex);
  state->waiters.push_back(me);
  co_await me->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  if (me->granted) co_return Lease{me->connection};  // in_use was counted by release()
  // Cancelled while waiting: leave the queue, or a later release() would hand
  // a connection to nobody, and it would never come back.
  state->waiters.erase(std::find(state->waiters.begin(), state->waiters.end(), me));
  throw boost::system::system_error(asio::error::operation_aborted);
}

asio::awaitable<void> Pool::release(Lease lease) {
  auto state = state_;
  // The connection stays leased until its reset has finished: handing it on
  // first would put two users on one connection (and limit + 1 leases out).
  co_await state->reset(lease.connection);
  if (!state->waiters.empty()) {
    // Hand it straight to the longest waiter: the lease stays counted.
    auto next = state->waiters.front();
    state->waiters.pop_front();
    next->granted = true;
    next->connection = lease.connection;
    next->wake.cancel();
  } else {
    state->free.push_back(lease.connection);
    --state->in_use;
  }
}

int Pool::in_use() const { return state_->in_use; }

std::size_t Pool::waiting() const { return state_->waiters.size(); }

asio::awaitable<int> with_lease(Pool& pool, Body body) {
  Lease lease = co_await pool.acquire();  // cancelled here: no lease, nothing to release

  // Run the body; whatever ends it (a value, an exception, a cancellation's
  // operation_aborted), keep it for later instead of leaving the scope.
  std::exception_ptr error;
  int value = 0;
  try {
    value = co_await body(lease);
  } catch (...) {
    error = std::current_exception();
  }

  // After a cancellation this coroutine's state stays "cancelled", and its next
  // co_await would throw at once: the release would never run. Reset the state
  // with a filter that lets no cancellation through: the release is shielded.
  auto nothing = [](asio::cancellation_type) { return asio::cancellation_type::none; };
  co_await asio::this_coro::reset_cancellation_state(nothing);
  co_await pool.release(lease);  // awaited: our awaiter resumes after the release

  if (error) {
    std::rethrow_exception(error);
  }
  co_return value;
}

}  // namespace async_context
