// limiter.cpp: a fair async semaphore and a token-bucket rate limiter.
// The semaphore hands a released permit straight to the first waiter (it never
// goes back to the pool while someone waits), so a newcomer cannot overtake the
// queue. Each waiter sleeps on its own steady_timer that never expires; cancel()
// on that timer is the wake-up call. The rate limiter reserves tokens in
// advance: a caller that finds the bucket empty goes into debt and sleeps until
// its own token has been earned.
#include "limiter.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <stdexcept>
#include <utility>

namespace limiter {

namespace {

/// One coroutine suspended in AsyncSemaphore::acquire().
struct Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : wake(ex, asio::steady_timer::time_point::max()) {}
  asio::steady_timer wake;  // never expires: release() cancels it to wake the waiter
  bool granted = false;     // set by release(): the permit now belongs to this waiter
};

}  // namespace

struct AsyncSemaphore::State {
  asio::any_io_executor ex;
  int available;
  std::deque<std::shared_ptr<Waiter>> waiters;  // FIFO: front() arrived first

  // A permit given back: to the first waiter if there is one, else to the pool.
  void pass_on() {
    if (!waiters.empty()) {
      // Hand the permit over: available stays the same, so nobody can barge
      // in between this release and the waiter's resumption.
      auto waiter = std::move(waiters.front());
      waiters.pop_front();
      waiter->granted = true;
      waiter->wake.cancel();
      return;
    }
    ++available;
  }
};

AsyncSemaphore::AsyncSemaphore(asio::any_io_executor ex, int count) {
  if (count < 0) throw std::invalid_argument("AsyncSemaphore: count must be >= 0");
  state_ = std::make_shared<State>(State{std::move(ex), count, {}});
}

asio::awaitable<void> AsyncSemaphore::acquire() {
  auto state = state_;  // keeps the state alive while this coroutine waits
  if (try_acquire()) co_return;
  // Queue up and suspend. The wait ends with operation_aborted both when
  // release() wakes us (granted is set) and when our own coroutine is
  // cancelled (granted is not): the flag tells the two apart.
  auto waiter = std::make_shared<Waiter>(state->ex);
  state->waiters.push_back(waiter);
  co_await waiter->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  // A cancellation can come and a release() hand us the permit before we run
  // again: a timeout and a release in one turn of the loop. Whoever cancelled
  // us has moved on (`acquire() || timer` took the timer's side), so a permit
  // kept here would belong to nobody, lost for good: pass it on instead.
  const auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled();
  if (waiter->granted && cancelled == asio::cancellation_type::none) co_return;
  if (waiter->granted) {
    state->pass_on();
  } else {
    // Cancelled while queued: leave the queue without a permit.
    state->waiters.erase(std::find(state->waiters.begin(), state->waiters.end(), waiter));
  }
  throw boost::system::system_error(asio::error::operation_aborted);
}

bool AsyncSemaphore::try_acquire() {
  // Take a free permit only when nobody is queued: otherwise this caller would
  // overtake the waiters, and under steady load the first one could starve.
  if (state_->available == 0 || !state_->waiters.empty()) return false;
  --state_->available;
  return true;
}

void AsyncSemaphore::release() { state_->pass_on(); }

int AsyncSemaphore::available() const { return state_->available; }

std::size_t AsyncSemaphore::waiting() const { return state_->waiters.size(); }

struct RateLimiter::State {
  asio::any_io_executor ex;
  double rate;    // tokens earned per second
  double burst;   // the bucket's capacity
  double tokens;  // may be negative: tokens already promised to waiters
  std::chrono::steady_clock::time_point stamp;  // when tokens was last brought up to date
};

RateLimiter::RateLimiter(asio::any_io_executor ex, double rate_per_second, int burst) {
  if (!(rate_per_second > 0) || burst < 1) throw std::invalid_argument("RateLimiter: need rate > 0 and burst >= 1");
  state_ = std::make_shared<State>(
      State{std::move(ex), rate_per_second, double(burst), double(burst), std::chrono::steady_clock::now()});
}

namespace {

// Earn the tokens since the last call, but never more than the bucket holds:
// an idle limiter must not save up a bigger burst than `burst`.
template <class State>
void refill(State& state) {
  const auto now = std::chrono::steady_clock::now();
  const std::chrono::duration<double> elapsed = now - state.stamp;
  state.tokens = std::min(state.burst, state.tokens + state.rate * elapsed.count());
  state.stamp = now;
}

}  // namespace

asio::awaitable<void> RateLimiter::acquire() {
  auto state = state_;
  refill(*state);
  // Spend one token now, even if it has not been earned yet: the debt is this
  // caller's place in the queue. The next caller goes one token further into
  // debt and so sleeps 1/rate longer: waiters are spaced out and served in order.
  state->tokens -= 1;
  if (state->tokens >= 0) co_return;
  const std::chrono::duration<double> until_earned(-state->tokens / state->rate);
  asio::steady_timer timer(state->ex, std::chrono::ceil<std::chrono::steady_clock::duration>(until_earned));
  co_await timer.async_wait(asio::use_awaitable);
}

bool RateLimiter::try_acquire() {
  refill(*state_);
  // Below one token the rest is either not earned yet or promised to waiters.
  if (state_->tokens < 1) return false;
  state_->tokens -= 1;
  return true;
}

}  // namespace limiter
