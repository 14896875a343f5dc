// future.cpp: FutureCore, the logic of asyncio.Future.
// A future completes once (value, exception or cancelled) and then never
// changes. Its callbacks are never called inline: completion hands each one to
// the loop (call_soon) exactly once, and one added after completion is
// handed over at once, so every callback runs on the loop, soon, once.
#include "future.hpp"

namespace aio {

void FutureCore::set_result(std::any value) {
  // Completing twice is a bug in the caller, not a second outcome.
  if (done()) throw InvalidStateError("Future::set_result: the future is already done");
  value_ = std::move(value);
  state_ = State::finished;
  schedule_callbacks();
}

void FutureCore::set_exception(std::exception_ptr error) {
  if (done()) throw InvalidStateError("Future::set_exception: the future is already done");
  if (!error) throw std::invalid_argument("Future::set_exception: a null exception_ptr");
  error_ = std::move(error);
  state_ = State::finished;
  schedule_callbacks();
}

bool FutureCore::cancel() {
  // Cancellation is one more way to complete: only a pending future can be
  // cancelled, and its callbacks run just as for a result.
  if (done()) return false;
  state_ = State::cancelled;
  schedule_callbacks();
  return true;
}

const std::any& FutureCore::result() const {
  if (state_ == State::cancelled) throw CancelledError();
  if (state_ == State::pending) throw InvalidStateError("Future::result: the future is not done yet");
  if (error_) std::rethrow_exception(error_);
  return value_;
}

std::exception_ptr FutureCore::exception() const {
  if (state_ == State::cancelled) throw CancelledError();
  if (state_ == State::pending) throw InvalidStateError("Future::exception: the future is not done yet");
  return error_;
}  // LCOV_EXCL_LINE: clang counts here only an exception thrown while building CancelledError or InvalidStateError (out of memory)

void FutureCore::add_done_callback(std::function<void()> callback) {
  // Already done: the completion has handed its callbacks over; this one
  // goes straight to the loop, so it too runs once, later, never inline.
  if (done()) {
    loop_.call_soon(std::move(callback));
    return;
  }
  callbacks_.push_back(std::move(callback));
}

void FutureCore::schedule_callbacks() {
  // Take the list out first: each callback is handed over once, and the
  // future keeps no reference to what they capture.
  auto callbacks = std::exchange(callbacks_, {});
  for (auto& callback : callbacks) loop_.call_soon(std::move(callback));
}

}  // namespace aio
