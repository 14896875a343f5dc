// thread_basics.cpp: start a thread, hand its result or exception back
// through a std::promise, and always join it.
// The worker catches everything its function throws: an exception that
// escapes a thread's function calls std::terminate(). The owner joins the
// thread in get() or the destructor: boost::thread's destructor would detach it.
#include "thread_basics.hpp"

#include <exception>

Task::Task(std::function<int()> fn) {
  // The promise is the worker's end of a one-shot channel; result_ is ours.
  // Take the future before the thread starts: the worker may finish at once.
  std::promise<int> promise;
  result_ = promise.get_future();
  // The lambda owns fn and the promise (moved in): nothing on this thread's
  // stack is shared with the new thread, which starts running immediately.
  thread_ = boost::thread([fn = std::move(fn), promise = std::move(promise)]() mutable {
    // catch (...) catches every type, boost::thread_interrupted included
    // (it does not derive from std::exception); current_exception() carries
    // it, whatever it is, to the thread that calls get().
    try {
      promise.set_value(fn());
    } catch (const std::exception&) {
      // MUTANT: catches std::exception only; boost::thread_interrupted (and
      // other types) escape to Boost, which swallows the interruption
      promise.set_exception(std::current_exception());
    }
  });
}

Task::~Task() {
  if (!thread_.joinable()) return;  // get() already joined it
  // A thread the owner no longer wants: ask it to stop at its next
  // interruption point, then wait for it. Leaving it running (detach) would
  // let it use what fn captured after the caller has freed it.
  thread_.interrupt();
  // join() is itself an interruption point: if this (the owner's) thread has
  // been interrupted, join() would throw out of a destructor. Disable it here.
  boost::this_thread::disable_interruption no_interruption;
  thread_.join();
}

int Task::get() {
  // Join first: when join() returns, the worker has finished with its copy
  // of the exception (if any), so this thread is its only owner from now on.
  thread_.join();
  // The value, or the worker's exception rethrown here: the same object,
  // so the same type and the same message.
  return result_.get();
}

void Task::interrupt() {
  // Only sets a flag in the thread's state (and wakes it if it is blocked in
  // an interruptible wait): interruption is cooperative.
  thread_.interrupt();
}

std::pair<int, int> run_two(std::function<int()> first, std::function<int()> second) {
  // Both threads run from here on, side by side, sharing this process's
  // memory. If a.get() throws, b is destroyed during the unwinding: its
  // destructor interrupts and joins it, so no thread is left behind.
  Task a(std::move(first));
  Task b(std::move(second));
  const int first_result = a.get();
  const int second_result = b.get();
  return {first_result, second_result};
}
