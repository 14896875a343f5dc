// server.cpp: one loop thread for every connection, a fixed pool for the CPU.
// Each connection is a coroutine: at every co_await it gives the loop thread
// back, so thousands of idle or waiting clients cost memory, not threads. The
// loop must never compute: a heavy request goes to pool_ through co_spawn, and
// the connection's coroutine resumes on the loop thread when the result is in.
#include "server.hpp"

#include <exception>
#include <utility>

namespace async_server {

Server::Server(std::size_t pool_threads, HeavyFn heavy)
    : heavy_(std::move(heavy)),
      pool_(pool_threads),
      acceptor_(ctx_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  // Listening already (the acceptor's constructor binds and listens), so a
  // client may connect as soon as we return; the kernel queues it until the
  // loop accepts it.
  port_ = acceptor_.local_endpoint().port();
  // accept_loop always has an accept pending, so ctx_.run() never runs out of
  // work: it returns only when the destructor stops it.
  asio::co_spawn(ctx_, accept_loop(), asio::detached);
  loop_ = std::thread([this] { ctx_.run(); });
}

Server::~Server() {
  // Stop the loop first (nothing new is read or accepted), then let the heavy
  // calls in flight finish: their results are posted to the stopped loop and
  // never run. Destroying ctx_ afterwards (a member, destroyed after this body)
  // destroys every suspended coroutine, and with it every socket.
  ctx_.stop();
  if (loop_.joinable()) loop_.join();
  pool_.join();
}

asio::awaitable<void> Server::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    // A failed accept (the client gave up, or we are out of descriptors) ends
    // that attempt only, not the server.
    if (ec) continue;  // LCOV_EXCL_LINE: needs a kernel-side accept failure; the tests cannot cause one
    // One coroutine per connection, on this same loop: a frame of a few
    // hundred bytes, not a thread with its own stack. serve() handles every
    // error itself, so detached loses nothing.
    asio::co_spawn(ctx_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Server::serve(tcp::socket socket) {
  std::string buffer;  // received bytes not yet answered (half a line, or more lines)
  for (;;) {
    // The focus leaves this connection here: while it waits for bytes, the
    // loop thread serves the others. It comes back only at this line.
    auto [ec, n] =
        co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), '\n', asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // the client closed the connection, or it broke
    std::string line = buffer.substr(0, n - 1);
    buffer.erase(0, n);

    // Heavy work goes to the pool; an echo needs no computing at all.
    std::string reply = line.starts_with("work ") ? co_await compute(line.substr(5)) : std::move(line);
    reply += '\n';
    // A failed write (the client left) shows up as a failed read next turn.
    co_await asio::async_write(socket, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<std::string> Server::compute(std::string argument) {
  // This lambda runs on a pool thread. It catches heavy_'s exception right
  // there and turns it into the reply, so no exception object crosses threads.
  auto on_pool = [this, argument = std::move(argument)]() -> asio::awaitable<std::string> {
    try {
      co_return heavy_(argument);
    } catch (const std::exception& e) {
      co_return "error: " + std::string(e.what());
    }
  };
  // co_spawn onto the pool, awaited from the loop: this coroutine is suspended
  // (the loop thread serves everyone else) and resumes on the loop thread,
  // its own executor, when the pool has the answer.
  // MUTANT: a thread of its own for every request instead of the fixed pool.
  asio::thread_pool own(1);
  co_return co_await asio::co_spawn(own, on_pool, asio::use_awaitable);
}

}  // namespace async_server
