// thread_basics.cpp: start a thread, hand its result or exception back
// through a std::promise, and always join it.
// Keep: an exception must never escape the thread's function (that calls
// std::terminate()), and every thread is joined (boost::thread's destructor
// would silently detach it). Use boost::thread and std::promise<int>.
#include "thread_basics.hpp"

#include <exception>
#include <stdexcept>

Task::Task([[maybe_unused]] std::function<int()> fn) {
  // TODO: Task::Task: make a std::promise<int>, keep its future in result_,
  // and start thread_ with a lambda that owns fn and the promise, stores
  // fn()'s value in the promise, or whatever fn throws (catch (...)).
  throw std::logic_error("TODO: Task::Task");
}

Task::~Task() {
  // TODO: Task::~Task: if the thread is still joinable, interrupt it, then
  // join it (with interruption disabled in this thread). Left empty, not
  // throwing: a destructor is noexcept, and the stub's constructor throws first.
}

int Task::get() {
  // TODO: Task::get: join the thread, then return the future's value (which
  // rethrows the worker's exception).
  throw std::logic_error("TODO: Task::get");
}

void Task::interrupt() {
  // TODO: Task::interrupt: ask the thread to stop at its next interruption point.
  throw std::logic_error("TODO: Task::interrupt");
}

std::pair<int, int> run_two([[maybe_unused]] std::function<int()> first, [[maybe_unused]] std::function<int()> second) {
  // TODO: run_two: start both as Tasks, then get() the first result and the
  // second. What happens to the second Task when the first get() throws?
  throw std::logic_error("TODO: run_two");
}
