// MUTANT loop_not_woken: jobs go into an inbox that a poller coroutine on the
// loop drains every 2 s; putting a job into the inbox does not wake the loop,
// so a sleeping loop finds new work only at its next poll.
#include "threadsafe_submit.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace threadsafe_submit {

namespace {

class Inbox : public asio::execution_context::service {
 public:
  static inline asio::execution_context::id id;
  explicit Inbox(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}
  void shutdown() override {}

  std::mutex mutex;
  std::vector<std::function<void()>> jobs;
  bool poller_started = false;
};

asio::awaitable<void> poll(Inbox& inbox) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(std::chrono::seconds(2));
    co_await timer.async_wait(asio::use_awaitable);
    std::vector<std::function<void()>> jobs;
    {
      std::lock_guard guard(inbox.mutex);
      jobs.swap(inbox.jobs);
    }
    for (auto& start : jobs) start();
  }
}

}  // namespace

std::future<int> submit(asio::io_context& loop, std::function<asio::awaitable<int>()> job) {
  auto promise = std::make_shared<std::promise<int>>();
  std::future<int> future = promise->get_future();
  if (loop.stopped()) {
    promise->set_exception(std::make_exception_ptr(LoopStopped{}));
    return future;
  }
  auto& inbox = asio::use_service<Inbox>(loop);
  auto start = [&loop, job = std::move(job), promise]() mutable {
    asio::co_spawn(loop, std::move(job), [promise](std::exception_ptr error, int value) {
      if (error) {
        promise->set_exception(error);
      } else {
        promise->set_value(value);
      }
    });
  };
  bool start_poller = false;
  {
    std::lock_guard guard(inbox.mutex);
    inbox.jobs.push_back(std::move(start));
    start_poller = !std::exchange(inbox.poller_started, true);
  }
  if (start_poller) asio::co_spawn(loop, poll(inbox), asio::detached);
  return future;
}

}  // namespace threadsafe_submit
