// Hidden tests of 22-nonblocking-sockets: one thread serves every client, and
// no client can hold the others up: not one that sends half a line and
// stalls, not one that stops reading its echoes (the server must keep what
// send() did not take and wait for POLLOUT, neither dropping it nor spinning).
//
// The server runs on one thread of the test's own (RunningServer), and stops
// under a deadline. The test's clients are raw blocking sockets with 5 s
// timeouts (kata/net_test.hpp), so no test call blocks forever. Everything
// binds 127.0.0.1:0.
#include <catch2/catch.hpp>

#include "line_echo_server.hpp"

#include <kata/net_test.hpp>
#include <kata/test.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

using namespace std::chrono_literals;

namespace {

using kata::Fd;
using kata::first_difference;
using kata::raw_connect;
using kata::raw_recv;
using kata::raw_send;
using kata::set_timeouts;

/// The server under test, run() on a thread of its own; stopped (and that
/// thread joined) under a deadline.
class RunningServer {
 public:
  RunningServer() : server_(std::make_shared<LineEchoServer>(0)) {
    auto finished = std::make_shared<std::promise<void>>();
    finished_ = finished->get_future();
    runner_ = std::thread([server = server_, finished] {
      try {
        server->run();
        finished->set_value();
      } catch (...) {
        finished->set_exception(std::current_exception());
      }
    });
  }
  ~RunningServer() {
    if (runner_.joinable() && !stop_within(5s) && std::uncaught_exceptions() == 0) {
      FAIL_CHECK("run() did not return within 5 s of stop()");
    }
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  std::uint16_t port() const { return server_->port(); }

  /// stop(), then wait for run() to return; false if it has not within
  /// `limit` (its thread is then abandoned, holding the server).
  bool stop_within(std::chrono::milliseconds limit) {
    server_->stop();
    if (finished_.wait_for(limit) != std::future_status::ready) {
      runner_.detach();
      return false;
    }
    runner_.join();
    finished_.get();  // rethrows what run() threw
    return true;
  }

  /// Whether run() has returned (or thrown) already.
  bool finished() const { return finished_.wait_for(0s) == std::future_status::ready; }

 private:
  std::shared_ptr<LineEchoServer> server_;
  std::future<void> finished_;
  std::thread runner_;
};

/// One line out and its echo back, timed.
struct EchoResult {
  std::string reply;
  std::chrono::milliseconds took;
};
EchoResult echo_line(int fd, const std::string& line) {
  const auto start = kata::Clock::now();
  EchoResult result;
  if (raw_send(fd, line)) result.reply = raw_recv(fd, line.size());
  result.took = std::chrono::duration_cast<std::chrono::milliseconds>(kata::Clock::now() - start);
  return result;
}

/// `count` lines of `width` bytes each (newline included), each different.
std::string many_lines(std::size_t count, std::size_t width) {
  std::string s;
  s.reserve(count * width);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string head = "line " + std::to_string(i) + " ";
    s += head;
    s.append(width - 1 - head.size(), static_cast<char>('a' + i % 26));
    s += '\n';
  }
  return s;
}

/// Runs `cleanup` then joins `thread` on scope exit, also when a REQUIRE
/// fails: a joinable std::thread destroyed would call std::terminate.
class JoinOnExit {
 public:
  JoinOnExit(std::thread& thread, std::function<void()> cleanup) : thread_(thread), cleanup_(std::move(cleanup)) {}
  ~JoinOnExit() {
    if (!thread_.joinable()) return;
    cleanup_();
    thread_.join();
  }
  JoinOnExit(const JoinOnExit&) = delete;
  JoinOnExit& operator=(const JoinOnExit&) = delete;

 private:
  std::thread& thread_;
  std::function<void()> cleanup_;
};

}  // namespace

TEST_CASE("complete lines come back to their sender and a partial line waits for its end", "[22-nonblocking-sockets][unit][req:1]") {
  RunningServer server;
  Fd client = raw_connect(server.port());
  REQUIRE(raw_send(client.fd, "hel"));
  REQUIRE(raw_send(client.fd, "lo\nwor"));
  REQUIRE(raw_recv(client.fd, 6) == "hello\n");
  // "wor" is not a line yet: nothing more may come back.
  set_timeouts(client.fd, 200ms);
  REQUIRE(raw_recv(client.fd, 1).empty());
  set_timeouts(client.fd, 5s);
  REQUIRE(raw_send(client.fd, "ld\nand more\n"));
  REQUIRE(raw_recv(client.fd, 15) == "world\nand more\n");
}

TEST_CASE("a client that closes its sending side still gets every echo it is owed, then end of stream",
          "[22-nonblocking-sockets][unit][req:1]") {
  RunningServer server;
  // 768 KiB of lines, then end of stream, from a client that reads nothing
  // until it has sent it all: the echo does not fit in its small receive
  // buffer, so the server sees the end of the stream with most of the echo
  // still to send. It must send it all before it closes.
  Fd client = raw_connect(server.port(), {0, 16 * 1024});
  const std::string data = many_lines(1536, 512);
  auto sent = kata::value_within(5s, [fd = client.fd, data] {
    const bool ok = raw_send(fd, data);
    ::shutdown(fd, SHUT_WR);
    return ok;
  });
  REQUIRE(sent.has_value());
  REQUIRE(*sent);
  const std::string back = raw_recv(client.fd, data.size());
  CAPTURE(back.size(), data.size());
  INFO("end of stream from a client ends its input, not its output: send what it is owed, then close");
  REQUIRE(back.size() == data.size());
  REQUIRE(first_difference(back, data) == data.size());
  char byte;
  REQUIRE(::recv(client.fd, &byte, 1, 0) == 0);
}

TEST_CASE("an unfinished line is never echoed, even when its client ends the stream", "[22-nonblocking-sockets][unit][req:1]") {
  RunningServer server;
  Fd client = raw_connect(server.port());
  REQUIRE(raw_send(client.fd, "whole\nhalf"));
  ::shutdown(client.fd, SHUT_WR);
  REQUIRE(raw_recv(client.fd, 6) == "whole\n");
  // "half" never became a line: end of stream comes next, not "half".
  char byte;
  const ssize_t got = ::recv(client.fd, &byte, 1, 0);
  INFO("after \"whole\\n\", recv() returned " << got << (got == 1 ? std::string(": '") + byte + "'" : std::string()));
  REQUIRE(got == 0);
}

TEST_CASE("one thread serves many connected clients", "[22-nonblocking-sockets][unit][req:2][req:7]") {
  const int before = kata::baseline_thread_count();
  RunningServer server;  // +1: the thread that calls run()
  std::vector<Fd> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(raw_connect(server.port()));
    const std::string line = "client " + std::to_string(i) + "\n";
    REQUIRE(raw_send(clients.back().fd, line));
    REQUIRE(raw_recv(clients.back().fd, line.size()) == line);
  }
  // All 20 still connected, each has been served: every thread the process
  // has now is the test's or run()'s.
  const int during = kata::os_thread_count();
  CAPTURE(before, during);
  REQUIRE(during <= before + 1);
  for (int i = 0; i < 20; ++i) {
    const std::string line = "again " + std::to_string(i) + "\n";
    REQUIRE(raw_send(clients[i].fd, line));
    REQUIRE(raw_recv(clients[i].fd, line.size()) == line);
  }
}

TEST_CASE("a client that sends half a line and stalls does not delay the others", "[22-nonblocking-sockets][unit][req:3]") {
  RunningServer server;
  Fd stalled = raw_connect(server.port());
  REQUIRE(raw_send(stalled.fd, "half a li"));
  std::vector<Fd> others;
  for (int i = 0; i < 5; ++i) {
    others.push_back(raw_connect(server.port()));
    set_timeouts(others.back().fd, 3s);
  }
  for (int i = 0; i < 5; ++i) {
    const std::string line = "prompt " + std::to_string(i) + "\n";
    const EchoResult r = echo_line(others[i].fd, line);
    CAPTURE(i, r.took.count());
    INFO("a server that waits for the stalled client's newline serves nobody else meanwhile");
    REQUIRE(r.reply == line);
    REQUIRE(r.took < 2s);
  }
  // The stalled client finishes its line and gets all of it back.
  REQUIRE(raw_send(stalled.fd, "ne\n"));
  REQUIRE(raw_recv(stalled.fd, 12) == "half a line\n");
}

TEST_CASE("echoes a client is not reading are kept until it reads, without stalling the others", "[22-nonblocking-sockets][unit][req:4][req:7]") {
  RunningServer server;
  // 8 MiB of lines from a client that reads nothing for a while: more than the
  // server's send buffer and the client's receive buffer hold together, so
  // the server's send() soon takes only part of an echo, then nothing (EAGAIN).
  Fd lazy = raw_connect(server.port());
  const std::string data = many_lines(16 * 1024, 512);
  std::atomic<bool> sent_all{false};
  std::thread sender([&] { sent_all = raw_send(lazy.fd, data); });
  JoinOnExit join_sender(sender, [&] { ::shutdown(lazy.fd, SHUT_RDWR); });
  std::this_thread::sleep_for(300ms);  // the lazy client reads nothing

  // Meanwhile others are still served: for the lazy client the server has
  // nothing to do but wait for POLLOUT.
  Fd other = raw_connect(server.port());
  set_timeouts(other.fd, 3s);
  for (int i = 0; i < 5; ++i) {
    const std::string line = "meanwhile " + std::to_string(i) + "\n";
    const EchoResult r = echo_line(other.fd, line);
    CAPTURE(i, r.took.count());
    INFO("a server that retries send() until the lazy client reads serves nobody else meanwhile");
    REQUIRE(r.reply == line);
    REQUIRE(r.took < 2s);
  }

  // Now it reads: every byte must come back, in order.
  set_timeouts(lazy.fd, 3s);
  const std::string back = raw_recv(lazy.fd, data.size());
  if (back.size() != data.size()) ::shutdown(lazy.fd, SHUT_RDWR);  // unblock the sender
  sender.join();
  REQUIRE(sent_all);
  CAPTURE(back.size(), data.size());
  INFO("what send() did not take (EAGAIN) must be kept and sent once poll() reports POLLOUT");
  REQUIRE(back.size() == data.size());
  REQUIRE(first_difference(back, data) == data.size());
}

TEST_CASE("an idle server sleeps in poll and uses no CPU", "[22-nonblocking-sockets][unit][timing][req:5]") {
  RunningServer server;
  std::vector<Fd> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(raw_connect(server.port()));
    REQUIRE(raw_send(clients.back().fd, "x\n"));
    REQUIRE(raw_recv(clients.back().fd, 2) == "x\n");
  }
  kata::CpuMeter meter;
  std::this_thread::sleep_for(300ms);
  const double load = meter.load();
  CAPTURE(load);
  INFO("poll() with no timeout sleeps; a loop that polls with timeout 0 (or retries recv) burns a core");
  REQUIRE(load < 0.1);
}

TEST_CASE("stop from another thread ends run promptly and the clients see end of stream", "[22-nonblocking-sockets][unit][req:6][req:7]") {
  auto server = std::make_unique<RunningServer>();
  std::vector<Fd> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(raw_connect(server->port()));
    REQUIRE(raw_send(clients.back().fd, "y\n"));
    REQUIRE(raw_recv(clients.back().fd, 2) == "y\n");
  }
  REQUIRE_FALSE(server->finished());
  INFO("stop() must wake the poll() that run() sleeps in (the eventfd is in its set)");
  REQUIRE(server->stop_within(3s));
  for (auto& c : clients) {
    char byte;
    REQUIRE(::recv(c.fd, &byte, 1, 0) == 0);
  }
}
