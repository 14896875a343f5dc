// loop.hpp: a minimal single-threaded event loop (given, complete).
// A queue of ready callbacks: call_soon() appends one, run_once() runs the
// ones that were queued when it started. Futures and tasks schedule all their
// work through it, which is what makes "later, on the loop" mean something.
// You do not need to change this file.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <stdexcept>

namespace aio {

/// Thrown by Loop::run_until when the awaited condition can never become
/// true: no callback is left to run, or callbacks keep queuing callbacks.
struct LoopStalled : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Python's event loop, minus I/O and timers. Confined to one thread.
class Loop {
 public:
  /// Queues `callback` to run on a later iteration, after every callback
  /// queued before it (FIFO). Never runs it inline.
  void call_soon(std::function<void()> callback);

  /// One iteration: runs the callbacks that were queued when it started, in
  /// order (callbacks they queue wait for the next iteration). Returns how
  /// many it ran.
  std::size_t run_once();

  /// Runs iterations until `done()` is true. Throws LoopStalled when the
  /// queue empties first (nothing is left that could make done() true) or
  /// after `max_callbacks` callbacks (something keeps re-queuing itself).
  void run_until(const std::function<bool()>& done, std::size_t max_callbacks = 100'000);

  /// Callbacks queued and not yet run.
  std::size_t pending() const { return ready_.size(); }

  /// Callbacks run since the loop was created.
  std::size_t callbacks_run() const { return callbacks_run_; }

 private:
  std::deque<std::function<void()>> ready_;
  std::size_t callbacks_run_ = 0;
};

}  // namespace aio
