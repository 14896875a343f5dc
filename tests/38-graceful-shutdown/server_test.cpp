// Tests of 38-graceful-shutdown: on SIGTERM/SIGINT the server stops accepting,
// lets in-flight requests finish with their responses, cuts off at the drain
// deadline a request that never finishes (its operation ends aborted), and returns.
//
// The test sends the signal to its own process (raise / kill(getpid())). So the
// default action can never kill it, the Lab installs its own signal_set for
// SIGINT and SIGTERM before anything else (a safety net: Asio's handler is then
// installed for the whole process). Ordering is by construction: everything runs
// on one io_context in the main thread, the server is constructed (and installs
// its signal_set) before run() starts, and the signal is raised only from a
// coroutine that first waited until the requests had reached the handler.
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <future>
#include <string>
#include <vector>

#include <signal.h>
#include <unistd.h>

#include "kata/asio_test.hpp"
#include "kata/test.hpp"
#include "server.hpp"

namespace {

using namespace graceful;
using namespace std::chrono_literals;
using asio::ip::tcp;
using std::chrono::milliseconds;

class Lab {
  kata::OpStates<std::string> states_;

 public:
  asio::io_context ctx;
  asio::signal_set safety_net{ctx, SIGINT, SIGTERM};  // first: a raised signal never kills the test
  int started = 0;
  asio::steady_timer started_event{ctx, asio::steady_timer::time_point::max()};  // cancelled at each start

  asio::any_io_executor ex() { return ctx.get_executor(); }

  /// "work N": sleeps N ms and answers "done N"; "hang": sleeps an hour.
  /// Records each request's state: "running", "completed" or "aborted".
  Handler handler() {
    return [this](std::string request) -> asio::awaitable<std::string> {
      std::string& state = states_.start(request);
      ++started;
      started_event.cancel();
      const auto d = request == "hang" ? milliseconds(3600s) : milliseconds(std::stoi(request.substr(5)));
      const auto ec = co_await kata::timer_outcome(d);
      if (ec) {
        state = "aborted";  // the handler's clean-up ran
        throw boost::system::system_error(ec);
      }
      state = "completed";
      co_return "done " + request.substr(5);
    };
  }

  std::string state(const std::string& request) { return states_.state(request); }

  /// Until `n` requests have reached the handler.
  asio::awaitable<void> until_started(int n) {
    while (started < n) co_await started_event.async_wait(asio::as_tuple(asio::use_awaitable));
  }

  /// When the signal went, and when run() returned (stamped by the two below).
  kata::Clock::time_point signalled, returned;

  /// server.run(), stamping `returned` when it returns.
  asio::awaitable<ShutdownReport> timed_run(Server& server) {
    auto report = co_await server.run();
    returned = kata::Clock::now();
    co_return report;
  }

  /// Once `n` requests have reached the handler: stamps `signalled` and raises `sig`.
  asio::awaitable<void> signal_once_started(int n, int sig) {
    co_await until_started(n);
    signalled = kata::Clock::now();
    ::raise(sig);
  }

  /// Runs the coroutines on the io_context for at most 5 s; false if one has not finished.
  template <class... T>
  bool run(std::future<T>&... done) {
    kata::run_io(ctx);
    return (kata::ready_within(done, 0s) && ...);
  }
};

/// A client: sends `line` and returns the response line, "(closed)" when the
/// connection ended without one, or "(refused)".
asio::awaitable<std::string> request(unsigned short port, std::string line, bool send = true) {
  tcp::socket socket(co_await asio::this_coro::executor);
  auto [connect_error] = co_await socket.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                                       asio::as_tuple(asio::use_awaitable));
  if (connect_error) co_return "(refused)";
  if (send) {
    line += '\n';
    co_await asio::async_write(socket, asio::buffer(line), asio::as_tuple(asio::use_awaitable));
  }
  std::string response;
  auto [ec, n] = co_await asio::async_read_until(socket, asio::dynamic_buffer(response), '\n',
                                                 asio::as_tuple(asio::use_awaitable));
  if (ec) co_return "(closed)";
  response.resize(n - 1);
  co_return response;
}

/// Checks what run() reported when the drain deadline cut requests off: how
/// many requests completed and how many were cut off, and that run()
/// returned at the deadline, no sooner than `at_least_ms` after the signal
/// and well within 1.5 s.
void check_cut_off_at_deadline(const Lab& lab, const ShutdownReport& r, std::size_t completed, std::size_t cut_off,
                               double at_least_ms) {
  CHECK(r.completed == completed);
  CHECK(r.cut_off == cut_off);
  CHECK(kata::ms_between(lab.signalled, lab.returned) >= at_least_ms);
  CHECK(kata::ms_between(lab.signalled, lab.returned) < 1500);
}

}  // namespace

TEST_CASE("on SIGTERM the requests in flight finish and get their responses, and new connections are refused",
          "[38-graceful-shutdown][unit][req:1][req:2][req:3][req:4][req:7]") {
  Lab lab;
  Server server(lab.ex(), 0, lab.handler(), 2000ms);
  const auto port = server.port();
  std::string late;
  auto trigger = [&]() -> asio::awaitable<void> {
    co_await lab.signal_once_started(3, SIGTERM);
    co_await kata::async_sleep(30ms);
    late = co_await request(port, "work 10");
  };
  auto report = asio::co_spawn(lab.ctx, lab.timed_run(server), asio::use_future);
  auto a = asio::co_spawn(lab.ctx, request(port, "work 300"), asio::use_future);
  auto b = asio::co_spawn(lab.ctx, request(port, "work 301"), asio::use_future);
  auto c = asio::co_spawn(lab.ctx, request(port, "work 302"), asio::use_future);
  auto t = asio::co_spawn(lab.ctx, trigger(), asio::use_future);
  REQUIRE(lab.run(report, a, b, c, t));
  INFO("the three requests were in flight when SIGTERM came: each must complete and be answered");
  CHECK(a.get() == "done 300");
  CHECK(b.get() == "done 301");
  CHECK(c.get() == "done 302");
  t.get();
  const ShutdownReport r = report.get();
  CHECK(r.signal_number == SIGTERM);
  CHECK(r.completed == 3);
  CHECK(r.cut_off == 0);
  INFO("a connection attempt after the signal must be refused, not served");
  CHECK(late == "(refused)");
  INFO("run() must return once the requests are done (~300 ms), not wait out the 2 s deadline");
  CHECK(kata::ms_between(lab.signalled, lab.returned) < 1500);
}

TEST_CASE("a request that never finishes is cut off at the drain deadline and the server still returns",
          "[38-graceful-shutdown][unit][req:2][req:6][req:7]") {
  Lab lab;
  Server server(lab.ex(), 0, lab.handler(), 300ms);
  const auto port = server.port();
  auto trigger = [&]() -> asio::awaitable<void> {
    co_await lab.until_started(2);
    lab.signalled = kata::Clock::now();
    ::kill(::getpid(), SIGTERM);  // to the process, not the thread
  };
  auto report = asio::co_spawn(lab.ctx, lab.timed_run(server), asio::use_future);
  auto hang = asio::co_spawn(lab.ctx, request(port, "hang"), asio::use_future);
  auto work = asio::co_spawn(lab.ctx, request(port, "work 100"), asio::use_future);
  auto t = asio::co_spawn(lab.ctx, trigger(), asio::use_future);
  INFO("run() must return soon after the 300 ms drain deadline even though one request never finishes");
  REQUIRE(lab.run(report, hang, work, t));
  CHECK(work.get() == "done 100");
  CHECK(hang.get() == "(closed)");
  INFO("the cut-off request's operation must be cancelled (its timer aborted), not left running");
  CHECK(lab.state("hang") == "aborted");
  CHECK(lab.state("work 100") == "completed");
  check_cut_off_at_deadline(lab, report.get(), 1, 1, 290);
}

TEST_CASE("on SIGINT an idle server closes idle connections and returns at once", "[38-graceful-shutdown][unit][req:1][req:2][req:5][req:7]") {
  Lab lab;
  Server server(lab.ex(), 0, lab.handler(), 3000ms);
  const auto port = server.port();
  std::string served;
  auto idle = asio::co_spawn(lab.ctx, request(port, "", false), asio::use_future);  // connects, sends nothing
  auto trigger = [&]() -> asio::awaitable<void> {
    served = co_await request(port, "work 10");  // served normally before the signal
    lab.signalled = kata::Clock::now();
    ::raise(SIGINT);
  };
  auto report = asio::co_spawn(lab.ctx, lab.timed_run(server), asio::use_future);
  auto t = asio::co_spawn(lab.ctx, trigger(), asio::use_future);
  REQUIRE(lab.run(report, idle, t));
  t.get();
  CHECK(served == "done 10");
  CHECK(idle.get() == "(closed)");
  const ShutdownReport r = report.get();
  CHECK(r.signal_number == SIGINT);
  CHECK(r.completed == 1);
  CHECK(r.cut_off == 0);
  INFO("nothing was in flight: run() must not wait out the 3 s deadline for an idle connection");
  CHECK(kata::ms_between(lab.signalled, lab.returned) < 1000);
}

TEST_CASE("the drain deadline counts from the signal, not from the start of run", "[38-graceful-shutdown][unit][req:4][req:6]") {
  Lab lab;
  Server server(lab.ex(), 0, lab.handler(), 400ms);
  const auto port = server.port();
  // The server runs for 600 ms, longer than its 400 ms deadline, before a
  // 150 ms request starts and the signal comes: the request has the 400 ms
  // that start with the signal, more than it needs.
  auto late_request = [&]() -> asio::awaitable<std::string> {
    co_await kata::async_sleep(600ms);
    co_return co_await request(port, "work 150");
  };
  auto trigger = [&]() -> asio::awaitable<void> {
    co_await lab.until_started(1);
    ::raise(SIGTERM);
  };
  auto report = asio::co_spawn(lab.ctx, server.run(), asio::use_future);
  auto in_flight = asio::co_spawn(lab.ctx, late_request(), asio::use_future);
  auto t = asio::co_spawn(lab.ctx, trigger(), asio::use_future);
  REQUIRE(lab.run(report, in_flight, t));
  t.get();
  INFO("a deadline timer started with run() had expired before the signal came: the drain got no time at all");
  CHECK(in_flight.get() == "done 150");
  CHECK(lab.state("work 150") == "completed");
  const ShutdownReport r = report.get();
  CHECK(r.completed == 1);
  CHECK(r.cut_off == 0);
}

TEST_CASE("a signal raised after the constructor returns, before run starts, still stops the server",
          "[38-graceful-shutdown][unit][req:1][req:7]") {
  Lab lab;
  Server server(lab.ex(), 0, lab.handler(), 300ms);
  // The signal set is installed by the constructor: this signal is the
  // server's, though nothing waits on it yet. The loop runs a while (and
  // delivers it) before run() starts; run() then returns at once.
  ::raise(SIGINT);
  auto pause = asio::co_spawn(lab.ctx, kata::async_sleep(100ms), asio::use_future);
  REQUIRE(lab.run(pause));
  auto report = asio::co_spawn(lab.ctx, server.run(), asio::use_future);
  INFO("a signal set created only in run() misses a signal that came before it, and run() waits forever");
  REQUIRE(lab.run(report));
  CHECK(report.get().signal_number == SIGINT);
}

TEST_CASE("the drain deadline is one deadline for every request in flight: it does not restart when one finishes",
          "[38-graceful-shutdown][unit][req:6][req:7]") {
  Lab lab;
  Server server(lab.ex(), 0, lab.handler(), 500ms);
  const auto port = server.port();
  // At the signal: a 200 ms request (done long before the 500 ms deadline), a
  // 650 ms one (still running at the deadline) and one that never ends. A
  // deadline that restarted when the 200 ms request finished would reach 700 ms
  // and let the 650 ms request complete.
  auto report = asio::co_spawn(lab.ctx, lab.timed_run(server), asio::use_future);
  auto quick = asio::co_spawn(lab.ctx, request(port, "work 200"), asio::use_future);
  auto slow = asio::co_spawn(lab.ctx, request(port, "work 650"), asio::use_future);
  auto hang = asio::co_spawn(lab.ctx, request(port, "hang"), asio::use_future);
  auto t = asio::co_spawn(lab.ctx, lab.signal_once_started(3, SIGTERM), asio::use_future);
  REQUIRE(lab.run(report, quick, slow, hang, t));
  t.get();
  CHECK(quick.get() == "done 200");
  INFO("the 650 ms request was still running 500 ms after the signal: it must be cut off then");
  CHECK(slow.get() == "(closed)");
  CHECK(lab.state("work 650") == "aborted");
  CHECK(hang.get() == "(closed)");
  CHECK(lab.state("hang") == "aborted");
  check_cut_off_at_deadline(lab, report.get(), 1, 2, 490);
}
