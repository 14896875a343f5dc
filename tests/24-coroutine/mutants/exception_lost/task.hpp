// task.hpp: a lazy Task<T>, a coroutine that another coroutine co_awaits for
// its result, with symmetric transfer between the two.
// Invariant: a task starts only when awaited; when it finishes, its awaiter
// continues with the value or the exception; switching between them never
// grows the stack (await_suspend returns the handle to run next instead of
// calling resume()); every frame is destroyed once, by ~Task.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace coro {

template <class T = void>
class Task;

namespace detail {

/// What both promise types share: who to continue when the task is done, and
/// the exception that escaped the body.
class TaskPromiseBase {
 public:
  /// The awaiter of the task's end: switches to the continuation.
  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }

    // Symmetric transfer: returning a handle makes the compiler resume it
    // with a tail call, so the finished task's frame on the machine stack is
    // replaced, not stacked on. Calling continuation.resume() here instead
    // would nest one call per level of co_await until the stack overflows.
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> finished) noexcept {
      return finished.promise().continuation_;
    }

    void await_resume() const noexcept {}
  };

  // Lazy: calling a Task coroutine only creates its frame; co_await starts it.
  std::suspend_always initial_suspend() const noexcept { return {}; }

  // Suspend at the end (the Task still owns the frame) and continue the awaiter.
  FinalAwaiter final_suspend() const noexcept { return {}; }

  // Keep the exception; the awaiter's await_resume rethrows it.
  void unhandled_exception() noexcept {}  // MUTANT: the exception is dropped

  void set_continuation(std::coroutine_handle<> continuation) noexcept { continuation_ = continuation; }

 protected:
  void rethrow_if_failed() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  // Where to go at the end. noop_coroutine() (nobody waiting) until a
  // co_await sets it: transferring to it returns to whoever resumed us.
  std::coroutine_handle<> continuation_ = std::noop_coroutine();
  std::exception_ptr error_;
};

template <class T>
class TaskPromise final : public TaskPromiseBase {
 public:
  Task<T> get_return_object() noexcept;

  template <class U>
    requires std::is_convertible_v<U&&, T>
  void return_value(U&& value) {
    value_.emplace(std::forward<U>(value));
  }

  /// The value, or the body's exception rethrown. Called once, by the awaiter.
  T result() {
    rethrow_if_failed();
    return value_ ? std::move(*value_) : T{};  // MUTANT: a default value when there is none
  }

 private:
  std::optional<T> value_;
};

template <>
class TaskPromise<void> final : public TaskPromiseBase {
 public:
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void result() const { rethrow_if_failed(); }
};

}  // namespace detail

/// A lazy coroutine that produces one T (or throws). Nothing runs until it is
/// co_awaited (or passed to sync_wait). Move-only; `co_await std::move(task)`
/// awaits it once. Confined to one thread.
template <class T>
class Task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  // The only owner destroys the frame: after the task finished, or never
  // started (then the body's parameters are destroyed with it).
  ~Task() {
    if (handle_) handle_.destroy();
  }

  /// The awaiter of `co_await task`: starts the task and continues the
  /// awaiting coroutine when it has finished.
  class Awaiter {
   public:
    explicit Awaiter(Handle task) noexcept : task_(task) {}

    // Never ready: a lazy task has not run yet.
    bool await_ready() const noexcept { return false; }

    // Remember who waits, then switch straight into the task (symmetric
    // transfer again): no resume() call, no stack frame left behind.
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
      task_.promise().set_continuation(awaiting);
      return task_;
    }

    // Back in the awaiting coroutine: the task's value, or its exception.
    T await_resume() { return task_.promise().result(); }

   private:
    Handle task_;
  };

  Awaiter operator co_await() && noexcept { return Awaiter(handle_); }

 private:
  friend class detail::TaskPromise<T>;
  explicit Task(Handle handle) noexcept : handle_(handle) {}

  Handle handle_;
};

namespace detail {

template <class T>
Task<T> TaskPromise<T>::get_return_object() noexcept {
  return Task<T>(Task<T>::Handle::from_promise(*this));
}

inline Task<void> TaskPromise<void>::get_return_object() noexcept {
  return Task<void>(Task<void>::Handle::from_promise(*this));
}

// ---------------------------------------------------------------- given
// sync_wait's own coroutine: eager (it starts at once), and it suspends at its
// end so that sync_wait can read it before destroying it.
class SyncWaitDriver {
 public:
  struct promise_type {
    SyncWaitDriver get_return_object() noexcept {
      return SyncWaitDriver(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_never initial_suspend() const noexcept { return {}; }
    std::suspend_always final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }
    std::exception_ptr error;
  };

  SyncWaitDriver(SyncWaitDriver&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  SyncWaitDriver(const SyncWaitDriver&) = delete;
  SyncWaitDriver& operator=(const SyncWaitDriver&) = delete;
  SyncWaitDriver& operator=(SyncWaitDriver&&) = delete;
  ~SyncWaitDriver() {
    if (handle_) handle_.destroy();
  }

  bool done() const noexcept { return handle_.done(); }
  void rethrow_if_failed() const {
    if (handle_.promise().error) std::rethrow_exception(handle_.promise().error);
  }

 private:
  explicit SyncWaitDriver(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}
  std::coroutine_handle<promise_type> handle_;
};

template <class T>
SyncWaitDriver drive(Task<T> task, std::optional<T>* out) {
  out->emplace(co_await std::move(task));
}

inline SyncWaitDriver drive(Task<void> task, std::optional<bool>* out) {
  co_await std::move(task);
  out->emplace(true);
}

}  // namespace detail

/// Given. Runs `task` to its end on this thread and returns its value (or
/// throws its exception): a coroutine co_awaits it, so only Task's own
/// co_await machinery starts and finishes it. Nothing here waits for outside
/// events, so when the driver's first resume returns, the task has finished;
/// if it has not, the continuation was never resumed.
template <class T>
T sync_wait(Task<T> task) {
  std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> result;
  detail::SyncWaitDriver driver = detail::drive(std::move(task), &result);
  if (!driver.done()) {
    throw std::logic_error("sync_wait: the task suspended and nothing resumed the coroutine awaiting it");
  }
  driver.rethrow_if_failed();
  if constexpr (!std::is_void_v<T>) return std::move(*result);
}

}  // namespace coro
