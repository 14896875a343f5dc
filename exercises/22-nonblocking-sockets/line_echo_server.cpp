// line_echo_server.cpp: serve many clients on ONE thread. Make every socket
// non-blocking: recv(), send() and accept() then return at once, with data or
// with EAGAIN. Wait only in poll(), on the listener, the wake_ eventfd and
// every client (POLLIN; POLLOUT only while it has unsent bytes). Keep each
// client's unfinished line and unsent echo in its Client: never wait for it.
#include "line_echo_server.hpp"

#include <cerrno>
#include <cstddef>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

namespace {

[[maybe_unused]] [[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

/// Stop reading a client whose unsent echo is this large: a client that sends
/// without reading would otherwise grow our memory without bound.
[[maybe_unused]] constexpr std::size_t kMaxOutgoing = 1 << 20;

[[maybe_unused]] bool would_block() { return errno == EAGAIN || errno == EWOULDBLOCK; }

}  // namespace

LineEchoServer::LineEchoServer([[maybe_unused]] std::uint16_t port) {
  // TODO: LineEchoServer::LineEchoServer: a listening socket on
  // 127.0.0.1:port, non-blocking (SOCK_NONBLOCK), SO_REUSEADDR; port_ from
  // getsockname(); wake_ = Socket(eventfd(0, EFD_NONBLOCK)).
  throw std::logic_error("TODO: LineEchoServer::LineEchoServer");
}

LineEchoServer::~LineEchoServer() = default;

void LineEchoServer::stop() {
  // Given: writing to the eventfd makes it readable, which ends run()'s poll().
  const std::uint64_t one = 1;
  while (::write(wake_.fd(), &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void LineEchoServer::run() {
  // TODO: LineEchoServer::run: loop { build a pollfd vector (wake_, listener_,
  // each client: POLLIN unless input ended or outgoing >= kMaxOutgoing,
  // POLLOUT if outgoing is not empty); poll(..., -1); return (closing every
  // client) once wake_ is readable; accept_clients() on the listener; for a
  // ready client, read_from() then write_to(); erase it if either fails, or
  // once its input ended and nothing is left to send }.
  throw std::logic_error("TODO: LineEchoServer::run");
}

void LineEchoServer::accept_clients() {
  // TODO: LineEchoServer::accept_clients: accept4(..., SOCK_NONBLOCK) until
  // it fails with EAGAIN; add each as clients_[fd].
  throw std::logic_error("TODO: LineEchoServer::accept_clients");
}

bool LineEchoServer::read_from([[maybe_unused]] Client& client) {
  // TODO: LineEchoServer::read_from: recv() until EAGAIN (true), 0 (set
  // input_ended, true: `outgoing` is still owed, an unfinished line is not) or
  // an error (false); append to `unfinished`, move every complete line into
  // `outgoing`.
  throw std::logic_error("TODO: LineEchoServer::read_from");
}

bool LineEchoServer::write_to([[maybe_unused]] Client& client) {
  // TODO: LineEchoServer::write_to: send() from `outgoing` (MSG_NOSIGNAL)
  // until it is empty or EAGAIN; keep what was not sent for POLLOUT. False on
  // an error.
  throw std::logic_error("TODO: LineEchoServer::write_to");
}
