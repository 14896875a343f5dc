// lease_pool.cpp: build Pool and with_lease (see lease_pool.hpp).
// Keep two promises: never more than `limit` leases out (a lease lasts until
// its release has FINISHED), and with_lease co_awaits the release after a
// return, an exception AND a cancellation, before its awaiter resumes. The
// primitives: a steady_timer per waiter, as_tuple, this_coro::reset_cancellation_state.
#include "lease_pool.hpp"

#include <stdexcept>
#include <utility>

namespace async_context {

// TODO: what the pool keeps (the reset, the free connections, the waiting acquires, the count in use).
struct Pool::State {};

Pool::Pool(asio::any_io_executor ex, int limit, Reset reset) {
  // TODO: connections 0 .. limit-1 start free.
  (void)ex, (void)limit, (void)reset;
  throw std::logic_error("TODO: Pool::Pool");
}

asio::awaitable<Lease> Pool::acquire() {
  // TODO: take a free connection, or queue up and sleep until release() hands you one; cancelled: leave the queue.
  throw std::logic_error("TODO: Pool::acquire");
}

asio::awaitable<void> Pool::release(Lease lease) {
  // TODO: co_await the reset, then hand the connection to the longest waiter (to it, not to the free
  // list: it has not run yet, and a newcomer must not take it first) or mark it free.
  (void)lease;
  throw std::logic_error("TODO: Pool::release");
}

int Pool::in_use() const {
  // TODO: leases out now.
  throw std::logic_error("TODO: Pool::in_use");
}

std::size_t Pool::waiting() const {
  // TODO: acquires waiting now.
  throw std::logic_error("TODO: Pool::waiting");
}

asio::awaitable<int> with_lease(Pool& pool, Body body) {
  // TODO: acquire, run body keeping what ended it, shield from cancellation, co_await release, then rethrow or return.
  (void)pool, (void)body;
  throw std::logic_error("TODO: with_lease");
}

}  // namespace async_context
