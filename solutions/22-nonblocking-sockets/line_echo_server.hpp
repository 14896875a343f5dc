// line_echo_server.hpp: a single-threaded TCP echo server on non-blocking
// sockets and poll(): it echoes each complete line back to its client.
// Invariant: one thread serves every client; no call ever blocks except
// poll() itself, so a slow client (half a line, or not reading) delays nobody.
// Each client keeps its own buffers: the bytes of an unfinished line, and the
// bytes still to send (kept until poll() says POLLOUT, never dropped).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <unistd.h>

/// Owns one file descriptor and closes it once. Move-only.
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
  void reset() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

 private:
  int fd_ = -1;
};

/// Echoes every complete line ("...\n") back to the client that sent it, on
/// the one thread that calls run().
/// Thread safety: run() on one thread at a time; stop() and port() from any
/// thread.
class LineEchoServer {
 public:
  /// Listens on 127.0.0.1:`port` (0: any free port), non-blocking. Does not
  /// start a thread: run() serves.
  explicit LineEchoServer(std::uint16_t port = 0);
  ~LineEchoServer();
  LineEchoServer(const LineEchoServer&) = delete;
  LineEchoServer& operator=(const LineEchoServer&) = delete;

  std::uint16_t port() const { return port_; }

  /// Serves every client on the calling thread until stop(); then closes the
  /// client connections and returns.
  void run();

  /// Makes run() return soon, from any thread (it wakes a blocked poll()).
  void stop();

 private:
  struct Client {
    Socket socket;
    std::string unfinished;  // received bytes after the last '\n'
    std::string outgoing;    // echoed lines not yet taken by send()
    bool input_ended = false;  // the client ended its stream: close once outgoing is sent
  };

  /// accept() every pending connection, until EAGAIN; each becomes a
  /// non-blocking Client.
  void accept_clients();
  /// recv() until EAGAIN; moves each complete line to `outgoing`. False when
  /// the client has gone (end of stream or an error).
  bool read_from(Client& client);
  /// send() from `outgoing` until it is empty or EAGAIN. False on an error.
  bool write_to(Client& client);

  Socket listener_;
  Socket wake_;  // an eventfd: stop() writes to it, run() polls it
  std::uint16_t port_ = 0;
  std::map<int, Client> clients_;  // by descriptor; touched only by run()'s thread
};
