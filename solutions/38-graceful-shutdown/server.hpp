// server.hpp: a line-protocol TCP server that shuts down gracefully on a signal.
// On SIGINT or SIGTERM (asio::signal_set) it stops accepting, lets the requests
// in flight finish and send their responses, cancels those still running at the
// drain deadline, and returns. Nothing it started outlives run().
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio.hpp>

namespace graceful {

namespace asio = boost::asio;

/// Turns one request line (without '\n') into one response line. It may take
/// a while (it co_awaits); at the drain deadline it is cancelled: the
/// operation it awaits completes with operation_aborted.
using Handler = std::function<asio::awaitable<std::string>(std::string request)>;

/// What run() reports when it returns.
struct ShutdownReport {
  int signal_number = 0;    ///< SIGINT or SIGTERM: the signal that stopped the server
  std::size_t completed = 0;  ///< responses sent, over the whole run
  std::size_t cut_off = 0;    ///< requests cancelled at the drain deadline, without a response
};

/// One request per connection: the client sends a line, the server answers
/// with handler(line) + '\n' and closes the connection.
/// Confined to one thread: construct it and co_await run() on one io_context
/// run by one thread.
class Server {
 public:
  /// Listens on 127.0.0.1:port (0: a free port) and installs the signal set
  /// for SIGINT and SIGTERM now, so a signal sent once this returns is caught.
  Server(asio::any_io_executor ex, unsigned short port, Handler handler, std::chrono::milliseconds drain_deadline);

  /// The port it listens on.
  unsigned short port() const;

  /// Serves until SIGINT or SIGTERM. Then: stops accepting (new connections
  /// are refused), closes connections that have not sent a request yet, waits
  /// until the requests in flight have sent their responses or the drain
  /// deadline has passed, cancels those still running, waits for them to stop,
  /// and returns. Call it once.
  asio::awaitable<ShutdownReport> run();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace graceful
