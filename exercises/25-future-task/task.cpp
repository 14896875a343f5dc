// task.cpp: build TaskCore, the logic of asyncio.Task: run a coroutine step
// by step on the loop. A step resumes the coroutine until it suspends on a
// future (that future's done-callback must schedule the next step) or ends
// (its value or exception completes the task). Keep: cancelling a waiting task
// cancels the future it waits for, and the coroutine sees CancelledError there.
#include "task.hpp"

namespace aio {

TaskCore::~TaskCore() {
  // TODO: TaskCore::~TaskCore: destroy the coroutine frame if the task still
  // owns one. (Left empty, not throwing: a destructor is noexcept.)
}

void TaskCore::start([[maybe_unused]] std::coroutine_handle<> coroutine) {
  // TODO: TaskCore::start: keep the handle and schedule the first step on
  // the loop (the callback should keep the task alive: shared_from_this()).
  throw std::logic_error("TODO: TaskCore::start");
}

void TaskCore::step() {
  // TODO: TaskCore::step: if cancelled before the first step, destroy the
  // frame and end cancelled without running it; otherwise resume the
  // coroutine, and destroy the frame once it is done().
  throw std::logic_error("TODO: TaskCore::step");
}

bool TaskCore::cancel() {
  // TODO: TaskCore::cancel: false if done; cancel the awaited future if
  // there is one (true if that worked); else remember to throw
  // CancelledError at the next resumption (and return true).
  throw std::logic_error("TODO: TaskCore::cancel");
}

void TaskCore::await_future([[maybe_unused]] std::shared_ptr<FutureCore> future) {
  // TODO: TaskCore::await_future: remember the future and ask it to run the
  // next step when it is done. Queue nothing else: the task must not poll.
  throw std::logic_error("TODO: TaskCore::await_future");
}

void TaskCore::resumed() {
  // TODO: TaskCore::resumed: if a cancel() is pending, clear it and throw
  // CancelledError (it comes out of the coroutine's co_await).
  throw std::logic_error("TODO: TaskCore::resumed");
}

void TaskCore::coroutine_returned([[maybe_unused]] std::any value) {
  // TODO: TaskCore::coroutine_returned: the value is the task's result.
  throw std::logic_error("TODO: TaskCore::coroutine_returned");
}

void TaskCore::coroutine_threw([[maybe_unused]] std::exception_ptr error) {
  // TODO: TaskCore::coroutine_threw: CancelledError cancels the task
  // (FutureCore::cancel()); any other exception becomes its exception.
  throw std::logic_error("TODO: TaskCore::coroutine_threw");
}

}  // namespace aio
