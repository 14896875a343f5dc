// future.cpp: build FutureCore, the logic of asyncio.Future.
// Keep: a future completes once (value, exception or cancelled) and then
// never changes; its callbacks are never called inline: each one is handed
// to the loop (loop_.call_soon) exactly once, at completion, or at once if it
// is added to a future that is already done.
#include "future.hpp"

namespace aio {

void FutureCore::set_result([[maybe_unused]] std::any value) {
  // TODO: FutureCore::set_result: refuse a done future (InvalidStateError);
  // store the value, mark it finished, schedule the callbacks.
  throw std::logic_error("TODO: FutureCore::set_result");
}

void FutureCore::set_exception([[maybe_unused]] std::exception_ptr error) {
  // TODO: FutureCore::set_exception: the same, storing the exception.
  throw std::logic_error("TODO: FutureCore::set_exception");
}

bool FutureCore::cancel() {
  // TODO: FutureCore::cancel: a done future stays as it is (false); a
  // pending one becomes cancelled, and its callbacks run as on completion.
  throw std::logic_error("TODO: FutureCore::cancel");
}

const std::any& FutureCore::result() const {
  // TODO: FutureCore::result: CancelledError if cancelled, InvalidStateError
  // if pending, the stored exception rethrown, else the value.
  throw std::logic_error("TODO: FutureCore::result");
}

std::exception_ptr FutureCore::exception() const {
  // TODO: FutureCore::exception: like result(), but return the exception
  // (null for a value) instead of rethrowing it.
  throw std::logic_error("TODO: FutureCore::exception");
}

void FutureCore::add_done_callback([[maybe_unused]] std::function<void()> callback) {
  // TODO: FutureCore::add_done_callback: keep it for the completion, or,
  // if the future is already done, hand it to the loop now (never call it here).
  throw std::logic_error("TODO: FutureCore::add_done_callback");
}

void FutureCore::schedule_callbacks() {
  // TODO: FutureCore::schedule_callbacks: hand every waiting callback to the
  // loop with call_soon, each exactly once.
  throw std::logic_error("TODO: FutureCore::schedule_callbacks");
}

}  // namespace aio
