// lease_pool.hpp: an asynchronous context manager for a limited connection pool.
// C++ has no asynchronous destructor: a destructor cannot co_await. So the
// scope is a function, with_lease(pool, body), that acquires a lease, runs the
// body, and ALWAYS co_awaits the release (after a return, an exception or a
// cancellation) before its own awaiter resumes. Like Python's `async with`.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include <boost/asio.hpp>

namespace async_context {

namespace asio = boost::asio;

/// The right to use one connection until it is released.
struct Lease {
  int connection = -1;  ///< in [0, limit)
};

/// What the pool does, asynchronously, with a connection given back (e.g. roll
/// back an open transaction). Given by the pool's owner; must not throw.
using Reset = std::function<asio::awaitable<void>(int connection)>;

/// A pool of `limit` connections, 0 .. limit-1. Never more than `limit` leases
/// are out at once: a lease counts from acquire() until its release() has
/// finished. Confined to the io_context's one thread.
class Pool {
 public:
  Pool(asio::any_io_executor ex, int limit, Reset reset);

  /// Gives a free connection; when none is free, waits asynchronously (the
  /// thread keeps running other coroutines), first come first served.
  /// Cancelled while waiting, it throws system_error(operation_aborted) and
  /// takes no connection.
  asio::awaitable<Lease> acquire();

  /// Runs reset(connection) to its end, then hands the connection to the
  /// longest waiting acquire(), or marks it free.
  asio::awaitable<void> release(Lease lease);

  /// Leases out now (acquired, release not finished).
  int in_use() const;

  /// acquire() calls waiting now.
  std::size_t waiting() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// The body of a with_lease scope: it uses the lease and returns a value.
using Body = std::function<asio::awaitable<int>(Lease)>;

/// `async with pool.lease() as lease: return await body(lease)`.
/// Acquires a lease, runs body, and then always co_awaits pool.release(lease),
/// whether body returned, threw, or was cancelled; only then does it return
/// body's value or rethrow body's exception (operation_aborted for a
/// cancellation). The release itself cannot be cancelled.
asio::awaitable<int> with_lease(Pool& pool, Body body);

}  // namespace async_context
