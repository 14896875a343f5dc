// thread_basics.hpp: run a function on its own thread and get back what it
// returned or threw, like a tiny std::async you build yourself.
// Invariant: no thread outlives its Task, and no exception is lost: whatever
// the function throws comes out of get(), never std::terminate().
// Primitives: boost::thread (joinable, interruptible) and std::promise<int>.
#pragma once

#include <functional>
#include <future>
#include <utility>

#include <boost/thread/thread.hpp>

/// One function running on its own boost::thread, started at construction.
/// get() joins the thread and returns the function's result, or rethrows the
/// exception it threw (any type, including boost::thread_interrupted).
/// The destructor never leaves the thread behind: it interrupts it and joins it.
/// Thread safety: one Task is used from one thread (the one that owns it); the
/// function itself runs on the Task's thread.
class Task {
 public:
  /// Starts a new thread running fn at once. Throws what starting a thread
  /// throws (boost::thread_resource_error), and then no thread is running.
  explicit Task(std::function<int()> fn);
  /// Interrupts the thread if it is still running, then joins it. Returns
  /// once the function has ended, even if it was never asked for its result.
  ~Task();
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  /// Joins the thread, then returns fn's result or rethrows its exception.
  /// Call it at most once.
  int get();

  /// Asks the thread to stop: at its next interruption point
  /// (boost::this_thread::interruption_point(), boost::this_thread::sleep_for,
  /// a wait on a boost::condition_variable, boost::thread::join) the function
  /// gets a boost::thread_interrupted exception, which get() then rethrows.
  /// A function that never reaches an interruption point is not stopped.
  void interrupt();

 private:
  std::future<int> result_;  // the promise's other end: the worker fills it
  boost::thread thread_;     // runs fn; joined by get() or the destructor
};

/// Runs `first` and `second` at the same time, on two threads, and returns
/// both results. If `first` throws, `second` is interrupted and joined, then
/// first's exception is rethrown; else if `second` throws, its exception is.
/// Either way both threads have ended when run_two returns or throws.
std::pair<int, int> run_two(std::function<int()> first, std::function<int()> second);
