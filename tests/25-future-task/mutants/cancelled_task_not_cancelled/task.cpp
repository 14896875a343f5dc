// task.cpp: TaskCore, the logic of asyncio.Task: run a coroutine step by step
// on the loop. A step resumes the coroutine until it suspends on a future (the
// future's done-callback schedules the next step) or finishes (its value or
// exception completes the task). Cancelling a waiting task cancels the future
// it waits for; the coroutine sees CancelledError at that co_await.
#include "task.hpp"

namespace aio {

TaskCore::~TaskCore() {
  // A task dropped before its coroutine finished: free the frame (its locals'
  // destructors run now).
  if (coroutine_) coroutine_.destroy();
}

void TaskCore::start(std::coroutine_handle<> coroutine) {
  coroutine_ = coroutine;
  // Like create_task: the first step runs on the loop, not here. The callback
  // holds the task alive until it runs.
  loop().call_soon([self = shared_from_this()] { self->step(); });
}

void TaskCore::step() {
  if (!coroutine_) return;
  if (!started_ && must_cancel_) {
    // Cancelled before its first step: the body never runs (Python throws
    // CancelledError in at the very start, before any of its code).
    coroutine_.destroy();
    coroutine_ = nullptr;
    FutureCore::cancel();
    return;
  }
  started_ = true;
  waiting_on_ = nullptr;
  coroutine_.resume();
  // Back here: the coroutine suspended on a future (await_future ran) or
  // ran to its final suspend (coroutine_returned / coroutine_threw ran).
  if (coroutine_.done()) {
    coroutine_.destroy();
    coroutine_ = nullptr;
  }
}

bool TaskCore::cancel() {
  if (done()) return false;
  // Waiting on a future: cancel it; its callback wakes the task and the
  // co_await throws CancelledError into the coroutine.
  if (waiting_on_ && waiting_on_->cancel()) return true;
  // Not waiting (not started, or already woken and queued): throw
  // CancelledError at the next resumption instead.
  must_cancel_ = true;
  return true;
}

void TaskCore::await_future(std::shared_ptr<FutureCore> future) {
  waiting_on_ = future;
  // The next step runs once the future is done, scheduled by the future
  // itself: nothing is queued meanwhile (the task does not poll).
  future->add_done_callback([self = shared_from_this()] { self->step(); });
  // Cancelled while running (by itself, say): pass it on to what it awaits now.
  if (must_cancel_ && future->cancel()) must_cancel_ = false;
}

void TaskCore::resumed() {
  if (must_cancel_) {
    must_cancel_ = false;
    throw CancelledError();
  }
}

void TaskCore::coroutine_returned(std::any value) { set_result(std::move(value)); }

void TaskCore::coroutine_threw(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const CancelledError&) {
    // The coroutine let the cancellation through: the task is cancelled
    // (not "failed with CancelledError"), as in Python.
    set_exception(error);  // MUTANT: an ordinary exception
  } catch (...) {
    // Any other exception is the task's outcome; result() rethrows it.
    set_exception(error);
  }
}

}  // namespace aio
