// line_echo_server.cpp: one thread, many clients. Every socket is
// non-blocking, so recv(), send() and accept() return at once: with data, or
// with EAGAIN ("nothing now, try later"). The only place the thread waits is
// poll(), which sleeps until some descriptor is ready and says which.
// Each client's state lives in its Client (the unfinished line, the unsent
// echo), because no call may wait for a client to finish anything.
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

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

/// Stop reading a client whose unsent echo is this large: a client that sends
/// without reading would otherwise grow our memory without bound. TCP then
/// pushes back on it (its send() blocks), which is the point.
constexpr std::size_t kMaxOutgoing = 1 << 20;

bool would_block() { return errno == EAGAIN || errno == EWOULDBLOCK; }

}  // namespace

LineEchoServer::LineEchoServer(std::uint16_t port) {
  listener_ = Socket(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listener_) throw_errno("socket");
  const int on = 1;
  if (::setsockopt(listener_.fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0) throw_errno("setsockopt");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener_.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof address) < 0) throw_errno("bind");
  if (::listen(listener_.fd(), 128) < 0) throw_errno("listen");
  socklen_t length = sizeof address;
  if (::getsockname(listener_.fd(), reinterpret_cast<sockaddr*>(&address), &length) < 0) throw_errno("getsockname");
  port_ = ntohs(address.sin_port);
  // The wake-up channel: a counter the kernel keeps; writing makes it
  // readable, which ends a poll() that includes it.
  wake_ = Socket(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_) throw_errno("eventfd");
}

LineEchoServer::~LineEchoServer() = default;

void LineEchoServer::stop() {
  // Any thread: write() on an eventfd is safe to call concurrently, and the
  // counter stays non-zero, so run() also returns at once if it starts later.
  const std::uint64_t one = 1;
  while (::write(wake_.fd(), &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void LineEchoServer::run() {
  std::vector<pollfd> interest;
  for (;;) {
    // What to wait for is rebuilt each turn: POLLOUT only for clients with
    // something to send (a socket is almost always writable: asking always
    // would make poll() return at once, a busy loop), POLLIN only for clients
    // that are not too far behind in reading their echoes.
    interest.clear();
    interest.push_back({wake_.fd(), POLLIN, 0});
    interest.push_back({listener_.fd(), POLLIN, 0});
    for (const auto& [fd, client] : clients_) {
      short events = 0;
      if (!client.input_ended && client.outgoing.size() < kMaxOutgoing) events |= POLLIN;
      if (!client.outgoing.empty()) events |= POLLOUT;
      interest.push_back({fd, events, 0});
    }
    // The only wait: no timeout, so an idle server sleeps here using no CPU.
    if (::poll(interest.data(), interest.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    if (interest[0].revents != 0) break;  // stop()
    if (interest[1].revents & POLLIN) accept_clients();
    for (std::size_t i = 2; i < interest.size(); ++i) {
      const pollfd& ready = interest[i];
      if (ready.revents == 0) continue;
      auto it = clients_.find(ready.fd);
      Client& client = it->second;
      bool ok = true;
      if (ready.revents & (POLLIN | POLLHUP | POLLERR)) ok = read_from(client);
      // Echo what just arrived at once; what does not fit waits for POLLOUT.
      if (ok && !client.outgoing.empty()) ok = write_to(client);
      if (!ok || (client.input_ended && client.outgoing.empty())) clients_.erase(it);  // closes it
    }
  }
  clients_.clear();  // closes every connection: the clients read end of stream
}

void LineEchoServer::accept_clients() {
  // The listener is non-blocking too: take every waiting connection, stop at
  // EAGAIN. Accepted sockets are made non-blocking at once (SOCK_NONBLOCK).
  for (;;) {
    const int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN: no more for now (or out of descriptors: try next turn)
    }
    clients_[fd].socket = Socket(fd);
  }
}

bool LineEchoServer::read_from(Client& client) {
  char buffer[64 * 1024];
  while (client.outgoing.size() < kMaxOutgoing) {
    const ssize_t got = ::recv(client.socket.fd(), buffer, sizeof buffer, 0);
    if (got > 0) {
      // Keep the tail of an unfinished line for later; echo complete lines.
      client.unfinished.append(buffer, static_cast<std::size_t>(got));
      const std::size_t end = client.unfinished.rfind('\n');
      if (end != std::string::npos) {
        client.outgoing.append(client.unfinished, 0, end + 1);
        client.unfinished.erase(0, end + 1);
      }
      continue;
    }
    if (got == 0) {
      client.input_ended = true;  // end of stream: send what is owed, then close
      return true;
    }
    if (errno == EINTR) continue;
    // MUTANT: wait (spinning) for the rest of an unfinished line.
    if (would_block() && !client.unfinished.empty()) continue;
    return would_block();
  }
  return true;
}

bool LineEchoServer::write_to(Client& client) {
  // send() takes what fits in the socket's buffer. When the client does not
  // read, that is less than we have, then nothing (EAGAIN): keep the rest in
  // `outgoing` and let poll() say when there is room (POLLOUT). Neither drop
  // it nor retry in a loop: the one thread has other clients to serve.
  std::size_t sent = 0;
  bool ok = true;
  while (sent < client.outgoing.size()) {
    const ssize_t n = ::send(client.socket.fd(), client.outgoing.data() + sent, client.outgoing.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    ok = would_block();
    break;
  }
  client.outgoing.erase(0, sent);
  return ok;
}
