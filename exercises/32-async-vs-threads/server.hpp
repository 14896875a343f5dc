// server.hpp: a line server that holds many connections on ONE thread and
// hands CPU-heavy requests to a small fixed thread pool.
// Invariant: the loop thread never computes. It only waits for sockets and
// passes work on, so a cheap request is answered while a heavy one runs, and
// the number of threads does not grow with the number of clients.
// Each connection is one coroutine (asio::awaitable) on the loop's io_context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include <boost/asio.hpp>

namespace async_server {

namespace asio = boost::asio;
using asio::ip::tcp;

/// The CPU-heavy part of a "work <argument>" request: takes the argument and
/// returns the reply line (without its '\n'). The server calls it on a pool
/// thread, never on the loop thread. It may throw.
using HeavyFn = std::function<std::string(const std::string& argument)>;

/// A TCP server on 127.0.0.1 that speaks a line protocol:
///   "work <argument>\n"  ->  heavy(argument) + "\n"
///                            ("error: <what>\n" if heavy threw)
///   any other line       ->  the same line back (an echo)
/// Each connection gets its replies in the order of its requests.
/// Threads: one loop thread runs the io_context (every socket and coroutine
/// lives there) and `pool_threads` pool threads run heavy(); never more,
/// however many clients are connected.
/// Thread safety: construct and destroy on one thread; port() from any thread.
class Server {
 public:
  /// Listens on 127.0.0.1, on any free port, and serves at once: the loop
  /// thread and the pool are running when the constructor returns.
  Server(std::size_t pool_threads, HeavyFn heavy);

  /// Stops the loop, waits for the heavy calls in flight, and closes every
  /// connection.
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// The port the server listens on.
  std::uint16_t port() const { return port_; }

 private:
  /// Accepts connections forever; each one gets a serve() coroutine.
  asio::awaitable<void> accept_loop();

  /// One connection: read a line, answer it, repeat until the client leaves.
  asio::awaitable<void> serve(tcp::socket socket);

  /// Runs heavy_(argument) on the pool; the caller resumes on the loop thread
  /// with the reply line (an "error: ..." line if heavy_ threw).
  asio::awaitable<std::string> compute(std::string argument);

  HeavyFn heavy_;
  asio::io_context ctx_;    // the event loop: every socket and coroutine lives here
  asio::thread_pool pool_;  // the CPU workers: heavy_ runs only here
  tcp::acceptor acceptor_;  // a member, so port() is known before the loop runs
  std::uint16_t port_ = 0;
  std::thread loop_;        // the one thread that runs ctx_
};

}  // namespace async_server
