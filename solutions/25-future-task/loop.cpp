// loop.cpp: the minimal event loop (given, complete).
// Each callback runs to its end before the next starts: one thread, no
// preemption, so code between two suspension points is never interleaved.
#include "loop.hpp"

#include <string>
#include <utility>

namespace aio {

void Loop::call_soon(std::function<void()> callback) { ready_.push_back(std::move(callback)); }

std::size_t Loop::run_once() {
  std::size_t n = ready_.size();  // not the ones these callbacks queue
  for (std::size_t i = 0; i < n; ++i) {
    auto callback = std::move(ready_.front());
    ready_.pop_front();
    ++callbacks_run_;
    callback();
  }
  return n;
}

void Loop::run_until(const std::function<bool()>& done, std::size_t max_callbacks) {
  std::size_t ran = 0;
  while (!done()) {
    if (ready_.empty()) {
      throw LoopStalled("Loop::run_until: no callback is left to run and the awaited future is not done "
                        "(a callback that was never scheduled, or a task that is never woken up)");
    }
    ran += run_once();
    if (ran > max_callbacks) {
      throw LoopStalled("Loop::run_until: over " + std::to_string(max_callbacks) +
                        " callbacks and the awaited future is still not done (something re-queues itself forever)");
    }
  }
}

}  // namespace aio
