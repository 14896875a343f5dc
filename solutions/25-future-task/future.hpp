// future.hpp: asyncio.Future for a single-threaded loop. A Future is a box
// that will hold a result, an exception, or "cancelled"; code that needs the
// outcome registers a done-callback, and the loop runs it once the box is filled.
// The logic is in FutureCore (future.cpp); Future<T> is a typed handle to it
// (given). Invariant: completes at most once; every callback runs exactly once,
// on the loop (call_soon), never inline.
#pragma once

#include <any>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "loop.hpp"

namespace aio {

/// What result() and exception() throw for a cancelled future (Python: asyncio.CancelledError).
struct CancelledError : std::runtime_error {
  CancelledError() : std::runtime_error("the future was cancelled") {}
};

/// A future used in the wrong state: result() before it is done, or
/// set_result() after (Python: asyncio.InvalidStateError).
struct InvalidStateError : std::logic_error {
  using std::logic_error::logic_error;
};

/// The part of a Future that does not depend on T: its state, its outcome
/// (the value as std::any) and its callbacks. Confined to the loop's thread.
class FutureCore {
 public:
  explicit FutureCore(Loop& loop) : loop_(loop) {}
  virtual ~FutureCore() = default;
  FutureCore(const FutureCore&) = delete;
  FutureCore& operator=(const FutureCore&) = delete;

  Loop& loop() const { return loop_; }

  /// Finished: with a result, an exception, or cancelled.
  bool done() const { return state_ != State::pending; }
  bool cancelled() const { return state_ == State::cancelled; }

  /// Completes the future with `value`. Throws InvalidStateError if done.
  void set_result(std::any value);
  /// Completes the future with `error`. Throws InvalidStateError if done.
  void set_exception(std::exception_ptr error);

  /// Cancels a pending future: true. A done one is left alone: false.
  /// Virtual: a Task also cancels what its coroutine is waiting for.
  virtual bool cancel();

  /// The value. Throws CancelledError if cancelled, InvalidStateError if not
  /// done, and rethrows the exception if it completed with one.
  const std::any& result() const;

  /// The exception (null if it completed with a value). Throws
  /// CancelledError if cancelled, InvalidStateError if not done.
  std::exception_ptr exception() const;

  /// Runs `callback` once the future is done: scheduled with call_soon when
  /// it completes, or at once with call_soon if it is already done. Never inline.
  void add_done_callback(std::function<void()> callback);

 private:
  enum class State { pending, finished, cancelled };

  /// Moves every registered callback into the loop's queue.
  void schedule_callbacks();

  Loop& loop_;
  State state_ = State::pending;
  std::any value_;                                // set by set_result
  std::exception_ptr error_;                      // set by set_exception
  std::vector<std::function<void()>> callbacks_;  // waiting for completion
};

/// A typed handle to a shared FutureCore (given, complete): copies refer to
/// the same future, like Python references. T must be copyable (it is kept
/// in std::any). Confined to the loop's thread.
template <class T>
class Future {
 public:
  explicit Future(Loop& loop) : core_(std::make_shared<FutureCore>(loop)) {}

  bool done() const { return core_->done(); }
  bool cancelled() const { return core_->cancelled(); }
  bool cancel() { return core_->cancel(); }
  void set_result(T value) { core_->set_result(std::any(std::move(value))); }
  void set_exception(std::exception_ptr error) { core_->set_exception(std::move(error)); }
  T result() const { return std::any_cast<T>(core_->result()); }
  std::exception_ptr exception() const { return core_->exception(); }
  void add_done_callback(std::function<void()> callback) { core_->add_done_callback(std::move(callback)); }
  Loop& loop() const { return core_->loop(); }

  /// The shared state, for the awaiter of co_await and for tests.
  const std::shared_ptr<FutureCore>& core() const { return core_; }

 protected:
  explicit Future(std::shared_ptr<FutureCore> core) : core_(std::move(core)) {}

  std::shared_ptr<FutureCore> core_;
};

/// Given. Python's loop.run_until_complete(future): runs the loop until the
/// future is done and returns its result (or throws what result() throws).
/// Throws LoopStalled if the loop runs dry before.
template <class T>
T run_until_complete(const Future<T>& future) {
  future.loop().run_until([&future] { return future.done(); });
  return future.result();
}

}  // namespace aio
