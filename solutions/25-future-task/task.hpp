// task.hpp: asyncio.Task for a single-threaded loop. A Task is a Future whose
// result comes from a coroutine: the task runs the coroutine step by step on
// the loop, and a `co_await future` inside it suspends the task until the
// future is done (a done-callback schedules the next step).
// The logic is in TaskCore (task.cpp); Coro, the awaiter and Task are given.
// Invariant: cancel() reaches the future the coroutine awaits, and a coroutine
// that lets CancelledError escape leaves its task cancelled.
#pragma once

#include <any>
#include <coroutine>
#include <exception>
#include <memory>
#include <utility>

#include "future.hpp"
#include "loop.hpp"

namespace aio {

/// The Future side of a task plus the coroutine it drives. Confined to the
/// loop's thread. Owns the coroutine frame.
class TaskCore : public FutureCore, public std::enable_shared_from_this<TaskCore> {
 public:
  explicit TaskCore(Loop& loop) : FutureCore(loop) {}
  ~TaskCore() override;

  /// Takes over `coroutine` (suspended at its start) and schedules its first step.
  void start(std::coroutine_handle<> coroutine);

  /// Python's Task.cancel(): cancels the future the coroutine is waiting for
  /// (the coroutine then gets CancelledError at its co_await), or arranges
  /// for CancelledError at its next resumption. False if the task is done.
  bool cancel() override;

  // Called from inside the coroutine, through its promise and awaiter:

  /// The coroutine suspends on `future`: wake the task when it is done.
  void await_future(std::shared_ptr<FutureCore> future);
  /// The coroutine continues after a co_await: throws CancelledError (into
  /// the coroutine) if a cancel() is pending.
  void resumed();
  /// The coroutine did co_return `value`.
  void coroutine_returned(std::any value);
  /// An exception escaped the coroutine (CancelledError: the task is cancelled).
  void coroutine_threw(std::exception_ptr error);

 private:
  /// Runs the coroutine until it next suspends or finishes (one "step" of
  /// Python's Task.__step); destroys the frame once it has finished.
  void step();

  std::coroutine_handle<> coroutine_;        // owned; null once destroyed
  // ([[maybe_unused]] only quiets clang while the stub's task.cpp ignores them)
  [[maybe_unused]] bool started_ = false;      // the first step has run
  [[maybe_unused]] bool must_cancel_ = false;  // cancel() came while nothing was awaited
  std::shared_ptr<FutureCore> waiting_on_;   // the future the coroutine awaits, if any
};

template <class T>
class Coro;

/// Given. What `co_await future` does inside a task's coroutine: suspend
/// unless the future is done, and come back with its result (or its exception).
template <class T>
class FutureAwaiter {
 public:
  FutureAwaiter(TaskCore* task, Future<T> future) : task_(task), future_(std::move(future)) {}
  bool await_ready() const { return future_.done(); }
  void await_suspend(std::coroutine_handle<>) { task_->await_future(future_.core()); }
  T await_resume() {
    task_->resumed();
    return future_.result();
  }

 private:
  TaskCore* task_;
  Future<T> future_;
};

/// Given. The return type of a coroutine a Task can run, like a Python
/// coroutine object: calling the coroutine runs nothing; create_task() starts
/// it. Inside it, co_await works on Futures (and Tasks, which are Futures).
template <class T>
class Coro {
 public:
  struct promise_type {
    TaskCore* task = nullptr;  // set by create_task before the first step

    Coro get_return_object() { return Coro(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    // Suspend at the end: the task's step() sees done() and destroys the frame.
    std::suspend_always final_suspend() noexcept { return {}; }
    template <class U>
    void return_value(U&& value) {
      task->coroutine_returned(std::any(T(std::forward<U>(value))));
    }
    void unhandled_exception() { task->coroutine_threw(std::current_exception()); }
    template <class U>
    FutureAwaiter<U> await_transform(Future<U> future) {
      return FutureAwaiter<U>(task, std::move(future));
    }
  };

  Coro(Coro&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Coro(const Coro&) = delete;
  Coro& operator=(const Coro&) = delete;
  Coro& operator=(Coro&&) = delete;
  ~Coro() {
    if (handle_) handle_.destroy();  // never handed to a task
  }

  /// Hands the frame over (to a task).
  std::coroutine_handle<promise_type> release() { return std::exchange(handle_, {}); }

 private:
  explicit Coro(std::coroutine_handle<promise_type> handle) : handle_(handle) {}
  std::coroutine_handle<promise_type> handle_;
};

/// Given. A Future<T> driven by a coroutine. Copies refer to the same task.
template <class T>
class Task : public Future<T> {
 public:
  /// Python's loop.create_task(coro): schedules the coroutine's first step.
  Task(Loop& loop, Coro<T> coro) : Future<T>(std::make_shared<TaskCore>(loop)) {
    auto handle = coro.release();
    auto* core = static_cast<TaskCore*>(this->core_.get());
    handle.promise().task = core;
    core->start(handle);
  }
};

/// Given. Python's asyncio.create_task / loop.create_task.
template <class T>
Task<T> create_task(Loop& loop, Coro<T> coro) {
  return Task<T>(loop, std::move(coro));
}

}  // namespace aio
