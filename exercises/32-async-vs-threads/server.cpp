// server.cpp: build Server (see server.hpp): one loop thread holds every
// connection, each connection a coroutine; a fixed pool does the CPU work.
// Keep the invariant: the loop thread never computes, so no connection waits
// for another's heavy request, and the thread count never grows with clients.
// Primitives: io_context + tcp::acceptor, co_spawn, async_read_until,
// async_write, and co_spawn(pool_, ..., use_awaitable) for the heavy part.
#include "server.hpp"

#include <exception>
#include <stdexcept>
#include <utility>

namespace async_server {

Server::Server(std::size_t pool_threads, HeavyFn heavy)
    : heavy_(std::move(heavy)), pool_(pool_threads), acceptor_(ctx_) {
  // TODO: listen on 127.0.0.1 port 0, remember the port, spawn accept_loop() and start the loop thread.
  throw std::logic_error("TODO: Server::Server");
}

Server::~Server() {
  // TODO: stop the loop, join its thread, then join the pool.
}

asio::awaitable<void> Server::accept_loop() {
  // TODO: accept forever; give each connection its own serve() coroutine on the loop.
  throw std::logic_error("TODO: Server::accept_loop");
}

asio::awaitable<void> Server::serve(tcp::socket socket) {
  // TODO: read a line, answer it ("work " -> compute(), else echo it) with '\n', until the client leaves.
  // One line at a time: replies go out in request order, and each reply is written whole.
  (void)socket;
  throw std::logic_error("TODO: Server::serve");
}

asio::awaitable<std::string> Server::compute(std::string argument) {
  // TODO: run heavy_(argument) on pool_ and resume on the loop with its reply, or "error: <what>" if it threw.
  (void)argument;
  throw std::logic_error("TODO: Server::compute");
}

}  // namespace async_server
