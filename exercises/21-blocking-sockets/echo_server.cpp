// echo_server.cpp: build a blocking TCP echo server, one thread per
// connection, and its client, with POSIX sockets on 127.0.0.1.
// Keep: every byte sent comes back in order; stop() ends every thread, even
// while clients sit idle (shutdown() wakes a blocked accept() or recv();
// close() does not). Set SO_REUSEADDR before bind(); loop over partial sends.
#include "echo_server.hpp"

#include <cerrno>
#include <exception>
#include <stdexcept>
#include <system_error>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace {

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

/// The address 127.0.0.1:port, for bind() and connect().
[[maybe_unused]] sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

}  // namespace

Socket listen_on([[maybe_unused]] std::uint16_t port, [[maybe_unused]] int backlog) {
  // TODO: listen_on: socket(AF_INET, SOCK_STREAM), setsockopt SO_REUSEADDR,
  // bind to loopback(port), listen(backlog); throw_errno() on any failure.
  throw std::logic_error("TODO: listen_on");
}

Socket connect_to([[maybe_unused]] std::uint16_t port) {
  // TODO: connect_to: socket(AF_INET, SOCK_STREAM), connect to loopback(port).
  throw std::logic_error("TODO: connect_to");
}

std::uint16_t local_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) < 0) throw_errno("getsockname");
  return ntohs(address.sin_port);
}

void send_all([[maybe_unused]] int fd, [[maybe_unused]] std::string_view data) {
  // TODO: send_all: call send() (with MSG_NOSIGNAL) until every byte is sent:
  // it may send only part, or fail with EINTR (retry); other errors throw.
  throw std::logic_error("TODO: send_all");
}

std::string recv_exact([[maybe_unused]] int fd, [[maybe_unused]] std::size_t n) {
  // TODO: recv_exact: recv() until n bytes have arrived (n == 0: none, return
  // at once); 0 (end of stream) before that throws std::runtime_error; EINTR retries.
  throw std::logic_error("TODO: recv_exact");
}

EchoServer::EchoServer([[maybe_unused]] std::uint16_t port) {
  // TODO: EchoServer::EchoServer: listener_ = listen_on(port), port_ =
  // local_port(...), then start acceptor_ running accept_loop().
  throw std::logic_error("TODO: EchoServer::EchoServer");
}

EchoServer::~EchoServer() {
  // TODO: EchoServer::~EchoServer: stop(). Left empty, not throwing: a
  // destructor is noexcept, and the stub's constructor throws first anyway.
}

void EchoServer::accept_loop() {
  // TODO: EchoServer::accept_loop: accept() until it fails because stop()
  // shut the listener down (EINTR, ECONNABORTED: try again); for each client,
  // under mutex_, add a Connection and start its thread running serve().
  throw std::logic_error("TODO: EchoServer::accept_loop");
}

void EchoServer::serve([[maybe_unused]] Connection& connection) {
  // TODO: EchoServer::serve: recv() into a buffer and send_all() it back
  // until recv() returns 0 or an error; then, under mutex_, close the socket
  // and mark the connection finished.
  throw std::logic_error("TODO: EchoServer::serve");
}

void EchoServer::stop() {
  // TODO: EchoServer::stop: under mutex_, set stopping_ and shutdown() the
  // listener and every open connection, both ways (a thread may be blocked in
  // recv() or in send()); then join the acceptor, join every
  // connection thread, and close the listener.
  throw std::logic_error("TODO: EchoServer::stop");
}

EchoClient::EchoClient(std::uint16_t port) : socket_(connect_to(port)) {}

std::string EchoClient::echo([[maybe_unused]] std::string_view message) {
  // TODO: EchoClient::echo: send_all() the message on a helper thread while
  // this thread recv_exact()s message.size() bytes; join; pass on errors.
  throw std::logic_error("TODO: EchoClient::echo");
}
