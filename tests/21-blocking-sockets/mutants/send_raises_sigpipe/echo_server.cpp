// echo_server.cpp: the blocking echo server and its client.
// Every call here may block its thread: accept() until a client connects,
// recv() until bytes arrive, send() until the kernel's buffer has room. So
// each connection gets its own thread, and stop() wakes the blocked ones with
// shutdown(), which (unlike close()) makes a blocked accept() or recv() return.
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

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1, never a public interface
  return address;
}

}  // namespace

Socket listen_on(std::uint16_t port, int backlog) {
  Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket) throw_errno("socket");
  // Without SO_REUSEADDR, bind() fails with EADDRINUSE for as long as an old
  // connection on this port is in TIME_WAIT (60 s on Linux): the side that
  // closes first, here the server, keeps the port's last connection there.
  // It must be set before bind(), and accepted sockets inherit it.
  const int on = 1;
  if (::setsockopt(socket.fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0) throw_errno("setsockopt(SO_REUSEADDR)");
  const sockaddr_in address = loopback(port);
  if (::bind(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) throw_errno("bind");
  if (::listen(socket.fd(), backlog) < 0) throw_errno("listen");
  return socket;
}

Socket connect_to(std::uint16_t port) {
  Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!socket) throw_errno("socket");
  const sockaddr_in address = loopback(port);
  // A signal may interrupt connect(); the connection then completes in the
  // background, so a retry reports EISCONN (done) or EALREADY (wait more).
  while (::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) {
    if (errno == EISCONN) break;
    if (errno != EINTR && errno != EALREADY) throw_errno("connect");
  }
  return socket;
}

std::uint16_t local_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) < 0) throw_errno("getsockname");
  return ntohs(address.sin_port);
}

void send_all(int fd, std::string_view data) {
  // send() returns how many bytes the kernel took, which may be fewer than
  // asked: a signal arriving while it waits for buffer room ends it early
  // (a partial count, or -1/EINTR when nothing was taken yet). Loop until
  // every byte is in.
  while (!data.empty()) {
    // MUTANT: no MSG_NOSIGNAL: sending to a peer that has gone away raises SIGPIPE.
    const ssize_t sent = ::send(fd, data.data(), data.size(), 0);
    if (sent < 0) {
      if (errno == EINTR) continue;
      throw_errno("send");
    }
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
}

std::string recv_exact(int fd, std::size_t n) {
  // recv() returns whatever has arrived, at least one byte: a stream has no
  // message boundaries, so one send() may come out as many recv()s.
  std::string data(n, '\0');
  std::size_t have = 0;
  while (have < n) {
    const ssize_t got = ::recv(fd, data.data() + have, n - have, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_errno("recv");
    }
    if (got == 0) throw std::runtime_error("recv_exact: the peer closed the connection early");
    have += static_cast<std::size_t>(got);
  }
  return data;
}

EchoServer::EchoServer(std::uint16_t port) : listener_(listen_on(port)) {
  port_ = local_port(listener_.fd());
  acceptor_ = std::thread([this] { accept_loop(); });
}

EchoServer::~EchoServer() { stop(); }

void EchoServer::accept_loop() {
  for (;;) {
    const int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      // A client that gave up before we accepted it, or a signal: go on.
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EINVAL: stop() shut the listener down
    }
    std::lock_guard guard(mutex_);
    if (stopping_) {
      // Accepted just as stop() began: nobody will serve it. Reached only when
      // accept() returns in the instant between stop() taking the lock and
      // shutting the listener down, a window no test can hold open.
      ::close(fd);  // LCOV_EXCL_START: needs accept() to return inside stop()'s locked instant; no test can arrange it
      return;
    }  // LCOV_EXCL_STOP: end of the race-only branch above
    // Join the threads of connections that have ended, so a long-running
    // server does not collect one finished thread per client.
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->finished) {
        it->thread.join();  // it has unlocked mutex_ for the last time: returns at once
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
    Connection& connection = connections_.emplace_back();
    connection.socket = Socket(fd);
    connection.thread = std::thread([this, &connection] { serve(connection); });
  }
}

void EchoServer::serve(Connection& connection) {
  const int fd = connection.socket.fd();
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // 0: end of stream (the client closed, or stop() shut us down)
    try {
      send_all(fd, std::string_view(buffer, static_cast<std::size_t>(got)));
    } catch (const std::system_error&) {
      break;  // the client went away (EPIPE, ECONNRESET) or stop() shut us down
    }
  }
  // Closed under the mutex: stop() only shuts down sockets that are still
  // open, so it never touches a descriptor number the OS has reused.
  std::lock_guard guard(mutex_);
  connection.socket.reset();
  connection.finished = true;
}

void EchoServer::stop() {
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
    // close() would not wake a thread blocked in accept() or recv() on Linux:
    // the descriptor stays alive under the blocked call. shutdown() changes
    // the socket itself: accept() fails with EINVAL, recv() returns 0 (end of
    // stream) and a blocked send() fails with EPIPE. The client sees the end
    // of stream too.
    if (listener_) ::shutdown(listener_.fd(), SHUT_RDWR);
    for (auto& connection : connections_) {
      if (connection.socket) ::shutdown(connection.socket.fd(), SHUT_RDWR);
    }
  }
  // The acceptor first: once it has returned, connections_ can no longer grow.
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& connection : connections_) {
    if (connection.thread.joinable()) connection.thread.join();
  }
  connections_.clear();
  listener_.reset();
}

EchoClient::EchoClient(std::uint16_t port) : socket_(connect_to(port)) {}

std::string EchoClient::echo(std::string_view message) {
  // Send on a helper thread while this one receives. Sending everything first
  // deadlocks once the message outgrows the buffers: the server stops reading
  // while it is blocked sending the echo back to us, and we are not reading.
  const int fd = socket_.fd();
  std::exception_ptr send_error;
  std::thread sender([fd, message, &send_error] {
    try {
      send_all(fd, message);
    } catch (...) {
      send_error = std::current_exception();
    }
  });
  std::string reply;
  try {
    reply = recv_exact(fd, message.size());
  } catch (...) {
    // The sender may be blocked on a server that stopped reading: wake it
    // before joining it. The connection is unusable after this anyway.
    ::shutdown(fd, SHUT_RDWR);
    sender.join();
    throw;
  }
  sender.join();
  if (send_error) std::rethrow_exception(send_error);
  return reply;
}
