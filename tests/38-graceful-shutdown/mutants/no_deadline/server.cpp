// server.cpp: serve until a signal, then drain within a deadline.
// The signal arrives as an ordinary completion (asio::signal_set), so shutdown
// is plain coroutine code on the io_context's thread. Every connection runs in
// its own co_spawn'ed session, bound to its own cancellation_signal and kept in
// a set; a timer that never expires is cancelled whenever the set empties, and
// that is how run() waits for the sessions (with a deadline, via ||).
#include "server.hpp"

#include <csignal>
#include <set>
#include <utility>

#include <boost/asio/experimental/awaitable_operators.hpp>

namespace graceful {

using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

/// One connection, from accept to close.
struct Session {
  explicit Session(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  asio::cancellation_signal cancel;  // bound to the session's co_spawn
  bool busy = false;                 // a request has been read; its handler runs
};

}  // namespace

struct Server::State {
  State(asio::any_io_executor ex, unsigned short port, Handler h, std::chrono::milliseconds deadline)
      : ex(ex),
        acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)),
        signals(ex, SIGINT, SIGTERM),
        handler(std::move(h)),
        drain_deadline(deadline),
        sessions_ended(ex, asio::steady_timer::time_point::max()) {}

  asio::any_io_executor ex;
  tcp::acceptor acceptor;
  asio::signal_set signals;  // installed in the constructor: from then on SIGINT/SIGTERM are ours
  Handler handler;
  std::chrono::milliseconds drain_deadline;
  std::set<std::shared_ptr<Session>> sessions;
  asio::steady_timer sessions_ended;  // never expires; cancelled each time `sessions` empties
  ShutdownReport report;
};

namespace {

// Reads one request, runs the handler, writes the response. Errors end the
// session quietly: a client that went away is not the server's failure.
template <class State>  // Server::State, which is private: deduced, never named
asio::awaitable<void> serve(std::shared_ptr<State> state, std::shared_ptr<Session> session) {
  std::string request;
  auto [read_error, n] = co_await asio::async_read_until(session->socket, asio::dynamic_buffer(request), '\n',
                                                         asio::as_tuple(asio::use_awaitable));
  if (read_error) co_return;  // closed before a whole request, or cancelled while idle at shutdown
  request.resize(n - 1);
  session->busy = true;
  std::string response;
  try {
    response = co_await state->handler(std::move(request));
  } catch (const boost::system::system_error&) {
    // Cancelled at the drain deadline: the client gets no response, and the
    // handler's own operation has already ended with operation_aborted.
    ++state->report.cut_off;
    co_return;
  }
  response += '\n';
  auto [write_error, written] =
      co_await asio::async_write(session->socket, asio::buffer(response), asio::as_tuple(asio::use_awaitable));
  if (!write_error) ++state->report.completed;
}

template <class State>
asio::awaitable<void> accept_loop(std::shared_ptr<State> state) {
  for (;;) {
    auto [ec, socket] = co_await state->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // cancelled: the server is shutting down
    auto session = std::make_shared<Session>(std::move(socket));
    state->sessions.insert(session);
    // The completion handler, not a detached spawn: the server keeps track of
    // every session, and a session is forgotten only once it has ended.
    auto on_end = [state, session](std::exception_ptr) {
      state->sessions.erase(session);
      if (state->sessions.empty()) state->sessions_ended.cancel();
    };
    asio::co_spawn(state->ex, serve(state, session), asio::bind_cancellation_slot(session->cancel.slot(), on_end));
  }
}

// Completes once every session has ended (at once if none is left).
template <class State>
asio::awaitable<void> sessions_end(std::shared_ptr<State> state) {
  if (state->sessions.empty()) co_return;
  co_await state->sessions_ended.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> sleep(asio::any_io_executor ex, std::chrono::milliseconds d) {
  asio::steady_timer timer(ex, d);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace

Server::Server(asio::any_io_executor ex, unsigned short port, Handler handler, std::chrono::milliseconds drain_deadline)
    : state_(std::make_shared<State>(ex, port, std::move(handler), drain_deadline)) {}

unsigned short Server::port() const { return state_->acceptor.local_endpoint().port(); }

asio::awaitable<ShutdownReport> Server::run() {
  auto state = state_;
  // Serve until a signal: when the signal wait wins, || cancels the accept loop
  // and waits for it to stop, so no new connection is taken after the signal.
  auto stopped_by = co_await (accept_loop(state) || state->signals.async_wait(asio::use_awaitable));
  state->report.signal_number = std::get<1>(stopped_by);
  state->acceptor.close();  // from now on, connecting is refused
  // A connection that has not sent a request has nothing in flight: close it now.
  for (const auto& session : state->sessions) {
    if (!session->busy) session->cancel.emit(asio::cancellation_type::terminal);
  }
  // Drain: the requests in flight finish and send their responses, but only
  // until the deadline.
  co_await sessions_end(state);  // BUG: no deadline: waits as long as any request runs
  // Cut off whatever is still running, and wait until it has really stopped:
  // a session must not outlive the server that owns its socket.
  for (const auto& session : state->sessions) session->cancel.emit(asio::cancellation_type::terminal);
  co_await sessions_end(state);
  co_return state->report;
}

}  // namespace graceful
