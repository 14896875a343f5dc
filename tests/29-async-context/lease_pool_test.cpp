// Tests of 29-async-context: with_lease always co_awaits the release (after a
// return, an exception, a cancellation) before its awaiter resumes; the pool
// never has more than `limit` leases out, waits asynchronously, and a
// cancelled acquire takes no connection.
//
// The pool's reset is simulated: a 30 ms timer per connection given back. The
// lab records each lease as an interval from the body's start to the end of
// its reset (the connection is busy until then), so the limit is checked by
// overlap. Everything runs on one io_context in the main thread; run() bounds
// each test with ctx.run_for(5s) (kata/asio_test.hpp).
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kata/asio_test.hpp"
#include "kata/test.hpp"
#include "lease_pool.hpp"

namespace {

using namespace async_context;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

class Lab {
 public:
  asio::io_context ctx;
  const kata::Clock::time_point start = kata::Clock::now();
  kata::IntervalRecorder leases;             // body start .. reset end, one per lease
  std::map<int, kata::Clock::time_point> busy;  // connection -> when its current lease's body started
  int resets_done = 0;
  int shared_connection = 0;  // a body started on a connection that was still leased

  /// The pool's reset: 30 ms, then the connection's lease interval ends.
  Reset reset() {
    return [this](int connection) -> asio::awaitable<void> {
      co_await kata::async_sleep(30ms);
      if (auto it = busy.find(connection); it != busy.end()) {
        leases.add("connection " + std::to_string(connection), it->second, kata::Clock::now());
        busy.erase(it);
      }
      ++resets_done;
    };
  }

  /// A body: marks its connection busy, sleeps `d`, then returns `value` or throws `what`.
  Body body(milliseconds d, int value, std::string what = "") {
    return [this, d, value, what](Lease lease) -> asio::awaitable<int> {
      if (!busy.emplace(lease.connection, kata::Clock::now()).second) ++shared_connection;
      co_await kata::async_sleep(d);
      if (!what.empty()) throw std::runtime_error(what);
      co_return value;
    };
  }

  /// Like body(d, value), but first appends `value` to `order`: the order in
  /// which the bodies got their connections.
  Body recorded(std::vector<int>& order, milliseconds d, int value) {
    return [&order, inner = body(d, value), value](Lease lease) -> asio::awaitable<int> {
      order.push_back(value);
      co_return co_await inner(lease);
    };
  }

  long long now_ms() const { return kata::ms_since(start); }

  /// Runs `body` on the io_context until everything has finished (at most 5 s)
  /// and returns what it returned (rethrows what it threw).
  template <class T>
  T run(asio::awaitable<T> body) {
    return kata::run_coroutine(ctx, std::move(body));
  }
};

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const boost::system::system_error& e) {
    return e.code() == asio::error::operation_aborted ? "operation_aborted" : e.what();
  } catch (const std::exception& e) {
    return e.what();
  }
}

/// A coroutine started with a cancellation signal, and what its awaiter saw.
/// Keep it until the io_context has run out of work: the operation uses the signal.
struct Started {
  std::shared_ptr<asio::cancellation_signal> signal = std::make_shared<asio::cancellation_signal>();
  std::shared_ptr<std::string> outcome = std::make_shared<std::string>("still running");
  std::shared_ptr<int> resets_when_resumed = std::make_shared<int>(-1);
};

Started start(Lab& lab, asio::awaitable<int> op) {
  Started s;
  auto on_end = [&lab, outcome = s.outcome, resets = s.resets_when_resumed](std::exception_ptr e, int v) {
    *outcome = e ? describe(e) : "value " + std::to_string(v);
    *resets = lab.resets_done;
  };
  asio::co_spawn(lab.ctx, std::move(op), asio::bind_cancellation_slot(s.signal->slot(), std::move(on_end)));
  return s;
}

}  // namespace

TEST_CASE("with_lease releases the connection after the body returns and before its awaiter resumes",
          "[29-async-context][unit][req:1]") {
  Lab lab;
  Pool pool(lab.ctx.get_executor(), 2, lab.reset());
  int resets_when_resumed = -1, in_use_when_resumed = -1;
  auto body = [&]() -> asio::awaitable<int> {
    int value = co_await with_lease(pool, lab.body(50ms, 7));
    resets_when_resumed = lab.resets_done;
    in_use_when_resumed = pool.in_use();
    co_return value;
  };
  CHECK(lab.run(body()) == 7);
  INFO("the release (its 30 ms reset) must have finished when with_lease returns: co_await it");
  CHECK(resets_when_resumed == 1);
  CHECK(in_use_when_resumed == 0);
}

TEST_CASE("with_lease releases the connection when the body throws, then rethrows the body's exception",
          "[29-async-context][unit][req:2]") {
  Lab lab;
  Pool pool(lab.ctx.get_executor(), 2, lab.reset());
  int resets_when_resumed = -1;
  auto body = [&]() -> asio::awaitable<std::string> {
    std::string what = "with_lease returned without throwing";
    try {
      co_await with_lease(pool, lab.body(50ms, 7, "boom"));
    } catch (const std::exception& e) {
      what = e.what();
    }
    resets_when_resumed = lab.resets_done;
    co_return what;
  };
  CHECK(lab.run(body()) == "boom");
  INFO("a body that throws must not leak its lease: the release runs first, then the exception goes on");
  CHECK(resets_when_resumed == 1);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("with_lease releases the connection when its caller is cancelled during the body, and reports the cancellation",
          "[29-async-context][unit][req:3]") {
  Lab lab;
  Pool pool(lab.ctx.get_executor(), 1, lab.reset());
  Started caller;
  auto body = [&]() -> asio::awaitable<int> {
    caller = start(lab, with_lease(pool, lab.body(1500ms, 7)));
    co_await kata::async_sleep(50ms);
    caller.signal->emit(asio::cancellation_type::terminal);
    co_await kata::async_sleep(300ms);
    co_return pool.in_use();
  };
  int in_use_later = lab.run(body());
  CHECK(*caller.outcome == "operation_aborted");
  INFO("a cancelled scope must still co_await its release (reset_cancellation_state), before its awaiter resumes");
  CHECK(*caller.resets_when_resumed == 1);
  CHECK(in_use_later == 0);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a cancellation that comes again during the release does not cut the release short",
          "[29-async-context][unit][req:3]") {
  // The release is shielded from every cancellation, not only from the one
  // that ended the body: a second request while the (slow) reset runs must
  // not abort it, or the connection is never given back.
  Lab lab;
  Reset slow_reset = [&lab](int) -> asio::awaitable<void> {
    co_await kata::async_sleep(200ms);
    ++lab.resets_done;
  };
  Pool pool(lab.ctx.get_executor(), 1, slow_reset);
  Started caller, next;
  auto body = [&]() -> asio::awaitable<int> {
    caller = start(lab, with_lease(pool, lab.body(1500ms, 7)));
    co_await kata::async_sleep(20ms);
    next = start(lab, with_lease(pool, lab.body(20ms, 8)));  // waits for the one connection
    co_await kata::async_sleep(30ms);
    caller.signal->emit(asio::cancellation_type::terminal);  // ends the body: the release begins
    co_await kata::async_sleep(50ms);                        // the 200 ms reset is running
    caller.signal->emit(asio::cancellation_type::terminal);  // again, during the release
    co_await kata::async_sleep(600ms);
    co_return pool.in_use();
  };
  int in_use_later = lab.run(body());
  CHECK(*caller.outcome == "operation_aborted");
  INFO("reset the cancellation state with a filter that lets no cancellation through, not the default one");
  CHECK(*caller.resets_when_resumed == 1);
  CHECK(*next.outcome == "value 8");
  CHECK(lab.resets_done == 2);
  CHECK(in_use_later == 0);
}

TEST_CASE("a lease counts in in_use until its release has finished, its reset included",
          "[29-async-context][unit][req:4]") {
  Lab lab;
  std::vector<int> in_use_during_reset;
  Pool* pool_ptr = nullptr;
  Reset reset = [&lab, &in_use_during_reset, &pool_ptr](int) -> asio::awaitable<void> {
    in_use_during_reset.push_back(pool_ptr->in_use());
    co_await kata::async_sleep(30ms);
    ++lab.resets_done;
  };
  Pool pool(lab.ctx.get_executor(), 2, reset);
  pool_ptr = &pool;
  std::vector<Started> jobs;  // a cancellation signal must outlive its operation
  auto body = [&]() -> asio::awaitable<int> {
    co_await with_lease(pool, lab.body(20ms, 1));  // alone: 1 in use while it is reset
    jobs.push_back(start(lab, with_lease(pool, lab.body(20ms, 2))));   // reset while the next one holds: 2
    jobs.push_back(start(lab, with_lease(pool, lab.body(300ms, 3))));  // reset last, alone: 1
    co_await kata::async_sleep(600ms);
    co_return pool.in_use();
  };
  CHECK(lab.run(body()) == 0);
  INFO("in_use() during each reset: a connection being reset is still leased");
  CHECK(in_use_during_reset == std::vector<int>{1, 2, 1});
}

TEST_CASE("never more than limit leases at once, and the others wait without blocking the thread",
          "[29-async-context][unit][req:4][req:5]") {
  Lab lab;
  Pool pool(lab.ctx.get_executor(), 2, lab.reset());
  std::size_t most_waiting = 0;
  std::vector<Started> jobs;  // a cancellation signal must outlive its operation
  auto body = [&]() -> asio::awaitable<int> {
    for (int i = 0; i < 6; ++i) jobs.push_back(start(lab, with_lease(pool, lab.body(100ms, i))));
    co_await kata::async_sleep(20ms);  // this coroutine runs while the others wait: nobody blocks the thread
    most_waiting = pool.waiting();
    co_return 0;
  };
  lab.run(body());
  CHECK(lab.resets_done == 6);
  INFO("a lease lasts from acquire to the end of its release: at most 2 at one instant, and both in use");
  CHECK(lab.leases.size() == 6);
  CHECK(lab.leases.max_overlap() == 2);
  CHECK(lab.shared_connection == 0);
  CHECK(most_waiting == 4);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a cancelled acquire leaves the queue and takes no connection", "[29-async-context][unit][req:5][req:6]") {
  Lab lab;
  Pool pool(lab.ctx.get_executor(), 1, lab.reset());
  Started holder, cancelled, later;
  std::size_t waiting_after_cancel = 99;
  auto body = [&]() -> asio::awaitable<int> {
    holder = start(lab, with_lease(pool, lab.body(200ms, 1)));
    co_await kata::async_sleep(20ms);
    cancelled = start(lab, with_lease(pool, lab.body(50ms, 2)));
    later = start(lab, with_lease(pool, lab.body(50ms, 3)));
    co_await kata::async_sleep(50ms);
    cancelled.signal->emit(asio::cancellation_type::terminal);
    co_await kata::async_sleep(10ms);
    waiting_after_cancel = pool.waiting();
    co_return 0;
  };
  lab.run(body());
  CHECK(*holder.outcome == "value 1");
  CHECK(*cancelled.outcome == "operation_aborted");
  CHECK(waiting_after_cancel == 1);
  INFO("the connection must go to the next live waiter, not to the cancelled one");
  CHECK(*later.outcome == "value 3");
  CHECK(pool.in_use() == 0);
  CHECK(lab.resets_done == 2);
}

TEST_CASE("waiting acquires get the connection in the order they asked for it", "[29-async-context][unit][req:5]") {
  Lab lab;
  Pool pool(lab.ctx.get_executor(), 1, lab.reset());
  std::vector<int> order;
  std::vector<Started> jobs;  // a cancellation signal must outlive its operation
  auto body = [&]() -> asio::awaitable<int> {
    jobs.push_back(start(lab, with_lease(pool, lab.recorded(order, 100ms, 0))));
    for (int i = 1; i <= 3; ++i) {
      co_await kata::async_sleep(10ms);  // 1 asks before 2, 2 before 3
      jobs.push_back(start(lab, with_lease(pool, lab.recorded(order, 20ms, i))));
    }
    co_return 0;
  };
  lab.run(body());
  INFO("order in which the bodies got the one connection: first come, first served");
  CHECK(order == std::vector<int>{0, 1, 2, 3});
  CHECK(lab.resets_done == 4);
}

TEST_CASE("a newcomer does not take a released connection from the waiter it was handed to",
          "[29-async-context][unit][req:5]") {
  Lab lab;
  Pool pool(lab.ctx.get_executor(), 1, lab.reset());
  std::vector<int> order;
  Started waiter;
  auto body = [&]() -> asio::awaitable<int> {
    // While body 0 holds the connection, waiter 1 queues up for it.
    Body holder = [&](Lease) -> asio::awaitable<int> {
      order.push_back(0);
      waiter = start(lab, with_lease(pool, lab.recorded(order, 20ms, 1)));
      co_await kata::async_sleep(50ms);
      co_return 0;
    };
    co_await with_lease(pool, holder);
    // Released: the connection belongs to waiter 1 now, though it has not run
    // yet. A newcomer asking at this very instant comes after it.
    co_return co_await with_lease(pool, lab.recorded(order, 20ms, 2));
  };
  REQUIRE(lab.run(body()) == 2);
  CHECK(*waiter.outcome == "value 1");
  INFO("order in which the bodies got the connection: a released connection goes to the longest waiter, "
       "not to whoever asks next");
  CHECK(order == std::vector<int>{0, 1, 2});
  CHECK(pool.in_use() == 0);
}
