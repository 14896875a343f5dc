// server.cpp: serve until SIGINT/SIGTERM, then drain within a deadline.
// Invariants: after the signal no new connection is accepted; every request in
// flight gets its response if it finishes before the deadline; at the deadline
// the rest are cancelled, and run() returns only once every session has stopped.
// Primitives: asio::signal_set, co_spawn with a cancellation_signal per session.
#include "server.hpp"

#include <csignal>
#include <set>
#include <stdexcept>
#include <utility>

#include <boost/asio/experimental/awaitable_operators.hpp>

namespace graceful {

struct Server::State {
  // TODO: the acceptor, the signal set (SIGINT, SIGTERM), the handler, the deadline, the live sessions, the report.
};

Server::Server(asio::any_io_executor ex, unsigned short port, Handler handler, std::chrono::milliseconds drain_deadline) {
  // TODO: listen on 127.0.0.1:port and install the signal set here, before anyone can send a signal.
  (void)ex, (void)port, (void)handler, (void)drain_deadline;
  throw std::logic_error("TODO: Server::Server");
}

unsigned short Server::port() const {
  // TODO: the port the acceptor is bound to.
  throw std::logic_error("TODO: Server::port");
}

asio::awaitable<ShutdownReport> Server::run() {
  // TODO: accept (a session per connection) until a signal; then stop accepting, close idle connections, wait for the busy ones up to the deadline (drain_deadline after the signal), cancel the rest and wait for them.
  throw std::logic_error("TODO: Server::run");
}

}  // namespace graceful
