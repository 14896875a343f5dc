// Hidden tests of 21-blocking-sockets: judged by what a client can observe.
// Every byte comes back in order (4 MiB, and send_all interrupted by signals),
// clients are served at the same time, stop() returns promptly with idle
// clients connected, a stopped server's port can be bound again at once, and
// a peer that goes away is an error, never a SIGPIPE that kills the process.
//
// The tests talk to the server through their own raw sockets
// (kata/net_test.hpp), which carry a 5 s SO_RCVTIMEO/SO_SNDTIMEO, so no test
// call can block forever. The server lives in a TestServer, whose destructor
// stops it under a deadline; calls that may hang (stop) run through
// kata::finishes_within with a shared_ptr.
// Everything binds 127.0.0.1 on port 0: tests run in parallel.
#include <catch2/catch.hpp>

#include "echo_server.hpp"

#include <kata/net_test.hpp>
#include <kata/test.hpp>
#include <kata/thread_test.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

using namespace std::chrono_literals;

namespace {

using kata::close_with_reset;
using kata::connected_pair;
using kata::Fd;
using kata::first_difference;
using kata::raw_connect;
using kata::raw_recv;
using kata::raw_send;
using kata::recv_once;

/// The server under test; its destruction (a stop()) is bounded by a deadline.
class TestServer {
 public:
  explicit TestServer(std::uint16_t port = 0) : server_(std::make_shared<EchoServer>(port)) {}
  ~TestServer() {
    if (!stop_within(5s) && std::uncaught_exceptions() == 0) {
      FAIL_CHECK("stopping the EchoServer (its destructor) did not return within 5 s");
    }
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  EchoServer* operator->() const { return server_.get(); }

  /// Stops and destroys the server on another thread; false if that did not
  /// return within `limit` (the thread is then abandoned with the server).
  bool stop_within(std::chrono::milliseconds limit) {
    if (!server_) return true;
    return kata::finishes_within(limit, [server = std::move(server_)]() mutable {
      server->stop();
      server.reset();
    });
  }

 private:
  std::shared_ptr<EchoServer> server_;
};

/// Sends on a helper thread while receiving here (an echo larger than the
/// buffers needs both at once). Returns what came back.
std::string raw_echo(int fd, const std::string& message) {
  std::atomic<bool> sent_ok{false};
  std::thread sender([&] { sent_ok = raw_send(fd, message); });
  std::string back = raw_recv(fd, message.size());
  if (back.size() != message.size()) ::shutdown(fd, SHUT_RDWR);  // unblock the sender
  sender.join();
  return back;
}

/// Bytes that are not a repeating short pattern: a lost, repeated or
/// reordered chunk changes them.
std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 2463534242u;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

/// Sends to the server on `fd` (made non-blocking) without ever reading, for
/// at most 5 s, until no byte has moved for 300 ms: the echo has filled the
/// client's receive buffer, so the server is blocked in send() and no longer
/// reads. Returns whether that happened.
bool send_until_stuck(int fd) {
  REQUIRE(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
  const std::string chunk = pattern(64 * 1024);
  bool stuck = false;
  const auto deadline = kata::Clock::now() + 5s;
  while (!stuck && kata::Clock::now() < deadline) {
    const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n >= 0 || errno == EINTR) continue;
    REQUIRE((errno == EAGAIN || errno == EWOULDBLOCK));
    pollfd pfd{fd, POLLOUT, 0};
    stuck = ::poll(&pfd, 1, 300) == 0;  // no room for 300 ms: the server has stopped reading
  }
  return stuck;
}

/// True while thread `tid` of this process sleeps inside system call `nr`
/// (/proc/self/task/<tid>/syscall; where that cannot be read, a sleeping
/// thread is taken to be in it).
bool blocked_in_syscall(pid_t tid, long nr) {
  std::ifstream syscall_file("/proc/self/task/" + std::to_string(tid) + "/syscall");
  std::string first;
  if (syscall_file >> first && first != std::to_string(nr)) return false;
  return kata::thread_state(tid) == 'S';
}

}  // namespace

TEST_CASE("the server reports the port the OS chose and echoes a short message", "[21-blocking-sockets][unit][req:1]") {
  TestServer server;
  REQUIRE(server->port() != 0);
  Fd client = raw_connect(server->port());
  REQUIRE(raw_send(client.fd, "hello, socket"));
  REQUIRE(raw_recv(client.fd, 13) == "hello, socket");
  // The same connection goes on being served.
  REQUIRE(raw_send(client.fd, "again"));
  REQUIRE(raw_recv(client.fd, 5) == "again");
}

TEST_CASE("send_all delivers every byte when signals interrupt a blocked send", "[21-blocking-sockets][unit][req:2][req:8]") {
  // Small buffers make a 4 MiB send block for a long time; SIGUSR1 then
  // interrupts it again and again: send() returns a partial count (or EINTR).
  constexpr int kBuffer = 16 * 1024;
  const std::string data = pattern(4 * 1024 * 1024);
  kata::InterruptingSignal interrupting;

  auto pair = connected_pair(kBuffer);
  Fd& sending = pair.first;
  Fd& receiving = pair.second;

  const int signals_before = interrupting.count();
  std::promise<pthread_t> sender_handle;
  auto handle_future = sender_handle.get_future();
  std::atomic<bool> sender_done{false};
  std::string send_error;  // written by the sender, read after join
  std::thread sender([&] {
    sender_handle.set_value(pthread_self());
    try {
      send_all(sending.fd, data);
    } catch (const std::exception& e) {
      send_error = e.what();
    }
    ::shutdown(sending.fd, SHUT_WR);  // end of stream for the receiver
    sender_done = true;
  });
  REQUIRE(kata::ready_within(handle_future, 5s));
  const pthread_t handle = handle_future.get();

  // Nobody reads yet: the sender fills the buffers and blocks inside send(),
  // where each signal interrupts it. (The sleeps pace the signals; they do
  // not provoke a race: a blocked send() is interrupted every time.)
  for (int i = 0; i < 40 && !sender_done; ++i) {
    ::pthread_kill(handle, SIGUSR1);
    std::this_thread::sleep_for(2ms);
  }
  // Now read everything, while the signals go on.
  std::string received;
  std::thread reader([&] { received = raw_recv(receiving.fd, data.size() + 1); });
  const bool finished = kata::eventually(5s, [&] {
    if (sender_done) return true;
    ::pthread_kill(handle, SIGUSR1);
    return false;
  });
  if (!finished) ::shutdown(sending.fd, SHUT_RDWR);  // unblock a stuck sender before joining
  sender.join();
  reader.join();

  CAPTURE(interrupting.count() - signals_before);
  REQUIRE(interrupting.count() - signals_before > 0);
  REQUIRE(finished);
  INFO("send_all threw: " << send_error);
  REQUIRE(send_error.empty());
  INFO("send_all returned before every byte was sent: send() can take only part "
       "of the data (here a signal interrupted it), so loop until all is sent");
  REQUIRE(received.size() == data.size());
  REQUIRE(first_difference(received, data) == data.size());
}

TEST_CASE("recv_exact returns exactly n bytes and throws when the peer closes early", "[21-blocking-sockets][unit][req:3]") {
  auto [a, b] = connected_pair();
  // Sent in pieces, received as one: a stream has no message boundaries.
  REQUIRE(raw_send(a.fd, "abc"));
  REQUIRE(raw_send(a.fd, "defgh"));
  auto got = kata::value_within(5s, [fd = b.fd] { return recv_exact(fd, 8); });
  REQUIRE(got.has_value());
  REQUIRE(*got == "abcdefgh");

  // The stream ends after 2 of the 6 bytes asked for.
  REQUIRE(raw_send(a.fd, "xy"));
  ::shutdown(a.fd, SHUT_WR);
  auto outcome = kata::value_within(5s, [fd = b.fd]() -> std::string {
    try {
      return "returned " + recv_exact(fd, 6);
    } catch (const std::runtime_error&) {
      return "runtime_error";
    }
  });
  REQUIRE(outcome.has_value());
  REQUIRE(*outcome == "runtime_error");
}

TEST_CASE("recv_exact of zero bytes returns nothing at once while the peer stays connected",
          "[21-blocking-sockets][unit][req:3]") {
  auto [a, b] = connected_pair();
  // Nothing to wait for: a loop that calls recv() before checking whether it
  // still needs anything gets 0 back from recv(fd, buf, 0) and takes it for
  // the end of the stream.
  auto outcome = kata::value_within(5s, [fd = b.fd]() -> std::string {
    try {
      return "returned \"" + recv_exact(fd, 0) + "\"";
    } catch (const std::exception& e) {
      return std::string("threw: ") + e.what();
    }
  });
  REQUIRE(outcome.has_value());
  REQUIRE(*outcome == "returned \"\"");
  // The stream is untouched: what comes next is still all there.
  REQUIRE(raw_send(a.fd, "next"));
  auto next = kata::value_within(5s, [fd = b.fd] { return recv_exact(fd, 4); });
  REQUIRE(next.has_value());
  REQUIRE(*next == "next");
}

TEST_CASE("the server echoes a 4 MiB message intact", "[21-blocking-sockets][unit][req:4]") {
  TestServer server;
  Fd client = raw_connect(server->port());
  const std::string message = pattern(4 * 1024 * 1024);
  const std::string back = raw_echo(client.fd, message);
  REQUIRE(back.size() == message.size());
  REQUIRE(first_difference(back, message) == message.size());
}

TEST_CASE("the client's echo returns a message larger than the socket buffers", "[21-blocking-sockets][unit][req:4]") {
  TestServer server;
  auto client = std::make_shared<EchoClient>(server->port());
  auto small = kata::value_within(5s, [client] { return client->echo("ping"); });
  REQUIRE(small.has_value());
  REQUIRE(*small == "ping");
  // 8 MiB: a client that sends it all before reading may deadlock with the server.
  const std::string message = pattern(8 * 1024 * 1024);
  auto big = kata::value_within(8s, [client, message] { return client->echo(message); });
  REQUIRE(big.has_value());
  REQUIRE(big->size() == message.size());
  REQUIRE(first_difference(*big, message) == message.size());
}

TEST_CASE("clients connected at the same time are served at the same time", "[21-blocking-sockets][unit][req:5][req:8]") {
  TestServer server;
  // Three clients stay connected and silent; a fourth must still be served.
  std::vector<Fd> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(raw_connect(server->port()));
    const std::string word = "idle" + std::to_string(i);
    REQUIRE(raw_send(idle.back().fd, word));
    INFO("a server that serves one connection at a time never answers a second client");
    REQUIRE(raw_recv(idle.back().fd, word.size()) == word);
  }
  Fd active = raw_connect(server->port());
  REQUIRE(raw_send(active.fd, "served"));
  REQUIRE(raw_recv(active.fd, 6) == "served");
  // The idle ones are still served afterwards.
  REQUIRE(raw_send(idle[0].fd, "still"));
  REQUIRE(raw_recv(idle[0].fd, 5) == "still");
}

TEST_CASE("an idle server stops promptly", "[21-blocking-sockets][unit][req:6]") {
  TestServer server;
  INFO("stop() must wake the thread blocked in accept(): close() does not, shutdown() does");
  REQUIRE(server.stop_within(3s));
}

TEST_CASE("stop returns promptly with idle clients connected, and they see end of stream", "[21-blocking-sockets][unit][req:6]") {
  TestServer server;
  std::vector<Fd> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(raw_connect(server->port()));
    REQUIRE(raw_send(idle.back().fd, "x"));
    REQUIRE(raw_recv(idle.back().fd, 1) == "x");  // its connection thread is running
  }
  {
    INFO("stop() must wake the connection threads blocked in recv() on silent clients");
    REQUIRE(server.stop_within(3s));
  }
  for (auto& client : idle) REQUIRE(recv_once(client.fd) == 0);  // end of stream, not a timeout
}

TEST_CASE("stop returns promptly while a connection's thread is blocked sending to a client that does not read",
          "[21-blocking-sockets][unit][req:6]") {
  TestServer server;
  Fd greedy = raw_connect(server->port(), {16 * 1024, 16 * 1024});
  // Send without ever reading, until nothing moves any more: the echo fills
  // this client's receive buffer and the server's thread blocks in send().
  REQUIRE(send_until_stuck(greedy.fd));
  INFO("stop() must wake a thread blocked in send() too: shutdown(SHUT_RD) ends a recv(), not a send(); "
       "SHUT_RDWR ends both");
  REQUIRE(server.stop_within(3s));
}

TEST_CASE("a stopped server's port can be bound again at once", "[21-blocking-sockets][unit][req:7]") {
  std::uint16_t port = 0;
  {
    TestServer first;
    port = first->port();
    Fd client = raw_connect(port);
    REQUIRE(raw_send(client.fd, "before"));
    REQUIRE(raw_recv(client.fd, 6) == "before");
    // The server closes first, so its end of this connection stays in
    // TIME_WAIT for a minute, on `port`.
    REQUIRE(first.stop_within(3s));
    REQUIRE(recv_once(client.fd) == 0);
  }
  std::optional<TestServer> second;
  try {
    second.emplace(port);
  } catch (const std::system_error& e) {
    FAIL("restarting on port " << port << " failed: " << e.what()
                               << " (an old connection is in TIME_WAIT: set SO_REUSEADDR before bind())");
  }
  REQUIRE((*second)->port() == port);
  Fd client = raw_connect(port);
  REQUIRE(raw_send(client.fd, "after"));
  REQUIRE(raw_recv(client.fd, 5) == "after");
}

TEST_CASE("connect_to a port nobody listens on throws system_error", "[21-blocking-sockets][unit]") {
  std::uint16_t port = 0;
  {
    kata::Listener gone;  // a port the OS handed out, then closed again
    port = gone.port;
  }
  auto outcome = kata::value_within(5s, [port]() -> std::string {
    try {
      connect_to(port);
      return "connected";
    } catch (const std::system_error& e) {
      return e.code() == std::errc::connection_refused ? "refused" : std::string("system_error: ") + e.what();
    }
  });
  REQUIRE(outcome.has_value());
  REQUIRE(*outcome == "refused");
}

TEST_CASE("listen_on a port another server listens on throws system_error", "[21-blocking-sockets][unit]") {
  kata::Listener taken;
  // SO_REUSEADDR lets a port in TIME_WAIT be bound again, never a port that
  // someone is listening on.
  REQUIRE_THROWS_AS(listen_on(taken.port), std::system_error);
}

TEST_CASE("send_all to a peer that has closed throws system_error instead of raising SIGPIPE",
          "[21-blocking-sockets][unit]") {
  auto pair = connected_pair();
  ::close(std::exchange(pair.second.fd, -1));
  // The first bytes reach a closed socket, which answers with a reset; the
  // sends after it fail (EPIPE or ECONNRESET). Without MSG_NOSIGNAL, SIGPIPE
  // would end the whole test process here.
  auto data = std::make_shared<const std::string>(pattern(8 * 1024 * 1024));
  auto outcome = kata::value_within(5s, [fd = pair.first.fd, data]() -> std::string {
    try {
      send_all(fd, *data);
      return "sent everything";
    } catch (const std::system_error&) {
      return "system_error";
    }
  });
  REQUIRE(outcome.has_value());
  REQUIRE(*outcome == "system_error");
}

TEST_CASE("recv_exact throws system_error when the peer resets the connection", "[21-blocking-sockets][unit]") {
  auto pair = connected_pair();
  close_with_reset(pair.first);
  auto outcome = kata::value_within(5s, [fd = pair.second.fd]() -> std::string {
    try {
      return "returned " + recv_exact(fd, 10);
    } catch (const std::system_error& e) {
      return e.code() == std::errc::connection_reset ? "reset" : std::string("system_error: ") + e.what();
    } catch (const std::exception& e) {
      return std::string("other exception: ") + e.what();
    }
  });
  REQUIRE(outcome.has_value());
  REQUIRE(*outcome == "reset");
}

TEST_CASE("recv_exact goes on waiting when a signal interrupts a blocked recv", "[21-blocking-sockets][unit][req:3]") {
  kata::InterruptingSignal interrupting;
  auto pair = connected_pair();  // 5 s SO_RCVTIMEO: the receiver cannot block for ever
  const int signals_before = interrupting.count();
  std::atomic<pid_t> receiver_tid{0};
  std::string received, error;  // written by the receiver, read after join
  std::thread receiver([&] {
    receiver_tid = kata::os_tid();
    try {
      received = recv_exact(pair.second.fd, 5);
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  // Nothing has been sent, so the receiver sleeps in recv(); the signal makes
  // that recv() fail with EINTR, which is no reason to give up.
  const bool blocked = kata::eventually(5000ms, [&] {
    return receiver_tid.load() != 0 && blocked_in_syscall(receiver_tid.load(), SYS_recvfrom);
  });
  if (blocked) ::pthread_kill(receiver.native_handle(), SIGUSR1);
  const bool handled = blocked && kata::eventually(5000ms, [&] { return interrupting.count() > signals_before; });
  const bool sent = raw_send(pair.first.fd, "hello");
  receiver.join();
  REQUIRE(blocked);
  REQUIRE(handled);
  REQUIRE(sent);
  INFO("recv_exact threw: " << error);
  REQUIRE(error.empty());
  REQUIRE(received == "hello");
}

TEST_CASE("a connection's thread ends when its client disconnects, and later clients are served",
          "[21-blocking-sockets][unit][req:5][req:8]") {
  TestServer server;
  for (int i = 0; i < 3; ++i) {
    Fd client = raw_connect(server->port());
    const std::string word = "client" + std::to_string(i);
    REQUIRE(raw_send(client.fd, word));
    REQUIRE(raw_recv(client.fd, word.size()) == word);  // its connection thread runs
    const int with_connection = kata::os_thread_count();
    ::close(std::exchange(client.fd, -1));
    INFO("the thread serving a client should return once recv() reports the end of its stream");
    REQUIRE(kata::eventually(5000ms, [&] { return kata::os_thread_count() < with_connection; }));
  }
}

TEST_CASE("a client that resets its connection while the server sends to it does not disturb the others",
          "[21-blocking-sockets][unit][req:5][req:8]") {
  TestServer server;
  Fd rude = raw_connect(server->port(), {16 * 1024, 16 * 1024});
  // Send without ever reading, until nothing moves any more: the echo fills
  // this client's receive buffer, the server blocks in send(), stops
  // reading, and this client's send buffer fills up.
  REQUIRE(send_until_stuck(rude.fd));
  close_with_reset(rude);  // the server's blocked send() fails

  Fd polite = raw_connect(server->port());
  REQUIRE(raw_send(polite.fd, "still here"));
  REQUIRE(raw_recv(polite.fd, 10) == "still here");
  REQUIRE(server.stop_within(3s));
}

TEST_CASE("echo throws instead of hanging when the server resets the connection mid-message",
          "[21-blocking-sockets][unit]") {
  kata::Listener listener(16 * 1024);  // a server of the test's own, with small buffers
  auto client = std::make_shared<EchoClient>(listener.port);
  Fd accepted = listener.accept();
  // 8 MiB cannot fit in the buffers: the client's sender is still sending,
  // and its receiver waiting, when the reset comes.
  auto message = std::make_shared<const std::string>(pattern(8 * 1024 * 1024));
  auto task = std::make_shared<std::packaged_task<std::string()>>([client, message]() -> std::string {
    try {
      return "returned " + std::to_string(client->echo(*message).size()) + " bytes";
    } catch (const std::exception&) {
      return "threw";
    }
  });
  auto outcome = task->get_future();
  std::thread([task] { (*task)(); }).detach();

  const std::string first = raw_recv(accepted.fd, 1024);  // the client is sending
  close_with_reset(accepted);
  REQUIRE(first.size() == 1024);
  REQUIRE(kata::ready_within(outcome, 5s));
  REQUIRE(outcome.get() == "threw");
}
