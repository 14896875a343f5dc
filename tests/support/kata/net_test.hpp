// kata/net_test.hpp: the raw TCP client of the socket exercises' tests.
//
// The tests talk to the server under test through blocking sockets of their
// own on 127.0.0.1, each with a send and receive timeout (5 s unless changed),
// so no test call can block forever; a listener of the test's own stands in
// for a peer the test controls. And thread counts are measured from a
// baseline taken once ThreadSanitizer's own background thread exists.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "kata/test.hpp"

namespace kata {

/// A raw descriptor of the test's own, closed on scope exit. Move-only.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
  Fd(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

/// The address 127.0.0.1:`port`.
inline sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

/// Sets `fd`'s SO_RCVTIMEO and SO_SNDTIMEO: a blocked call fails after `limit`.
inline void set_timeouts(int fd, std::chrono::milliseconds limit) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(limit.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((limit.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/// Kernel buffer sizes for a test socket, set before connect(); 0 keeps the default.
struct SocketBuffers {
  int send_bytes = 0;
  int receive_bytes = 0;
};

/// A blocking socket connected to 127.0.0.1:`port`, with 5 s timeouts on
/// every call. Throws std::system_error.
inline Fd raw_connect(std::uint16_t port, SocketBuffers buffers = {}) {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.fd < 0) throw std::system_error(errno, std::generic_category(), "test socket");
  set_timeouts(s.fd, 5s);
  if (buffers.send_bytes > 0) {
    ::setsockopt(s.fd, SOL_SOCKET, SO_SNDBUF, &buffers.send_bytes, sizeof buffers.send_bytes);
  }
  if (buffers.receive_bytes > 0) {
    ::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &buffers.receive_bytes, sizeof buffers.receive_bytes);
  }
  const sockaddr_in a = loopback(port);
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) < 0) {
    throw std::system_error(errno, std::generic_category(), "test connect");
  }
  return s;
}

/// Sends every byte (the socket's timeout bounds each call; MSG_NOSIGNAL: a
/// closed peer is an error, not SIGPIPE). False on error.
inline bool raw_send(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Receives up to `n` bytes: fewer if the peer closes, errs, or the socket's
/// receive timeout passes with nothing new.
inline std::string raw_recv(int fd, std::size_t n) {
  std::string out;
  char buffer[64 * 1024];
  while (out.size() < n) {
    const ssize_t got = ::recv(fd, buffer, std::min(sizeof buffer, n - out.size()), 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
  }
  return out;
}

/// A listening socket of the test's own on 127.0.0.1 (any free port), whose
/// accepted sockets get buffers of `buffer_bytes` when set. Throws
/// std::system_error.
struct Listener {
  Fd socket{-1};
  std::uint16_t port = 0;

  explicit Listener(int buffer_bytes = 0) : socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    if (socket.fd < 0) throw std::system_error(errno, std::generic_category(), "test socket");
    if (buffer_bytes > 0) {  // inherited by the accepted sockets
      ::setsockopt(socket.fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
      ::setsockopt(socket.fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
    }
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    if (::bind(socket.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0 ||
        ::listen(socket.fd, 4) < 0 ||
        ::getsockname(socket.fd, reinterpret_cast<sockaddr*>(&address), &length) < 0) {
      throw std::system_error(errno, std::generic_category(), "test listener");
    }
    port = ntohs(address.sin_port);
  }

  /// The next connection, with 5 s timeouts (once a client's connect()
  /// returned, the kernel has it queued: this does not block).
  Fd accept() const {
    Fd accepted(::accept(socket.fd, nullptr, nullptr));
    if (accepted.fd < 0) throw std::system_error(errno, std::generic_category(), "test accept");
    set_timeouts(accepted.fd, 5s);
    return accepted;
  }
};

/// Two sockets connected to each other through a Listener (buffers of
/// `buffer_bytes` when set), each with 5 s timeouts.
inline std::pair<Fd, Fd> connected_pair(int buffer_bytes = 0) {
  const Listener listener(buffer_bytes);
  Fd a = raw_connect(listener.port, {buffer_bytes, buffer_bytes});
  return {std::move(a), listener.accept()};
}

/// What one recv() of a byte says where the peer should have closed: 0 is
/// end of stream, -1 an error (the receive timeout: EAGAIN).
inline ssize_t recv_once(int fd) {
  char c;
  ssize_t n;
  do n = ::recv(fd, &c, 1, 0);
  while (n < 0 && errno == EINTR);
  return n;
}

/// Closes `fd` with a reset (RST) instead of an orderly end of stream: the
/// peer's pending and later calls fail with ECONNRESET or EPIPE.
inline void close_with_reset(Fd& fd) {
  const linger reset{1, 0};
  ::setsockopt(fd.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(std::exchange(fd.fd, -1));
}

/// Where two byte strings first differ (or the shorter one's length): for
/// messages too large to print.
inline std::size_t first_difference(const std::string& a, const std::string& b) {
  const std::size_t n = std::min(a.size(), b.size());
  const auto [ia, ib] = std::mismatch(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), b.begin());
  return static_cast<std::size_t>(ia - a.begin());
}

/// The process's thread count to compare later counts with. ThreadSanitizer
/// starts a background thread of its own with the process's first thread, so
/// one thread is started and joined first: that one exists already then.
inline int baseline_thread_count() {
  std::thread([] {}).join();
  return os_thread_count();
}

}  // namespace kata
