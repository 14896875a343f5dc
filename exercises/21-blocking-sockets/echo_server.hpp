// echo_server.hpp: a blocking TCP echo server (one thread per connection) and
// its client, on plain POSIX sockets bound to 127.0.0.1.
// Invariant: every byte a client sends comes back, in order, and stop() ends
// every thread the server started, even while clients sit idle.
// Primitives: socket/setsockopt/bind/listen/accept/connect/recv/send and
// shutdown(), the one call that wakes a thread blocked on a socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <unistd.h>

/// Owns one file descriptor and closes it once. Move-only. Not thread-safe:
/// one owner at a time.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { reset(); }

  int fd() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  /// Closes the descriptor now (if open).
  void reset() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

 private:
  int fd_ = -1;
};

/// A TCP socket listening on 127.0.0.1:`port` (0: the OS picks a free port).
/// SO_REUSEADDR is set before bind(), so a restarted server can bind the port
/// of one whose old connections are still in TIME_WAIT. Throws std::system_error.
Socket listen_on(std::uint16_t port, int backlog = 64);

/// A TCP socket connected to 127.0.0.1:`port`. Throws std::system_error.
Socket connect_to(std::uint16_t port);

/// The local port `fd` is bound to (getsockname). Throws std::system_error.
std::uint16_t local_port(int fd);

/// Sends every byte of `data`, however many send() calls that takes: send()
/// may take only part of it, and a signal may interrupt it (EINTR). Never
/// raises SIGPIPE (MSG_NOSIGNAL). Throws std::system_error on an error.
void send_all(int fd, std::string_view data);

/// Receives exactly `n` bytes. Throws std::runtime_error if the peer closes
/// the connection first, std::system_error on an error.
std::string recv_exact(int fd, std::size_t n);

/// Echoes back whatever each client sends, one thread per connection.
/// Thread safety: port() is safe from any thread; stop() and the destructor
/// are called by the owner, once at a time.
class EchoServer {
 public:
  /// Listens on 127.0.0.1:`port` (0: any free port) and starts accepting.
  explicit EchoServer(std::uint16_t port = 0);
  /// stop().
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  /// The port the server listens on (the OS's choice when constructed with 0).
  std::uint16_t port() const { return port_; }

  /// Stops accepting, ends every connection (idle clients see end of stream)
  /// and joins every thread the server started. Returns promptly even while
  /// clients are connected and silent. Safe to call more than once.
  void stop();

 private:
  struct Connection {
    Socket socket;       // closed by its own thread when it finishes, under mutex_
    std::thread thread;  // runs serve(*this)
    bool finished = false;
  };

  /// The acceptor thread: accept() until the listener is shut down.
  void accept_loop();
  /// A connection's thread: recv() and send back until end of stream or error.
  void serve(Connection& connection);

  Socket listener_;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;                   // guards connections_' sockets and flags, stopping_
  std::list<Connection> connections_;  // a list: a Connection never moves while its thread runs
  [[maybe_unused]] bool stopping_ = false;  // ([[maybe_unused]] only quiets clang while the stub ignores it)
};

/// A client of the echo server: one connection, kept open between calls.
/// Not thread-safe: one caller at a time.
class EchoClient {
 public:
  /// Connects to 127.0.0.1:`port`.
  explicit EchoClient(std::uint16_t port);

  /// Sends `message` and returns what comes back (message.size() bytes).
  /// Sends and receives at the same time: a message larger than the socket
  /// buffers would otherwise deadlock, the server blocked sending to a client
  /// that is itself blocked sending.
  std::string echo(std::string_view message);

  int fd() const { return socket_.fd(); }

 private:
  Socket socket_;
};
