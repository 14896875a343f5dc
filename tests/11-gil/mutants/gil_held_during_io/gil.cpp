// gil.cpp: the GIL and the interpreter loop. Waiters sleep on gil_free_cv_ in
// slices of one switch interval; a slice that ends with the same holder still
// in place sets drop_request_. The holder sees the request between bytecodes
// and hands the GIL to the thread that asked: if it just let go, it would
// usually take the GIL straight back (it is running; the thread it woke is
// not yet), and the waiter would starve.
#include "gil.hpp"

#include <stdexcept>

Gil::Gil(std::chrono::microseconds switch_interval) : switch_interval_(switch_interval) {
  if (switch_interval <= std::chrono::microseconds::zero()) {
    throw std::invalid_argument("Gil: the switch interval must be positive");
  }
}

void Gil::acquire() {
  const auto me = std::this_thread::get_id();
  std::unique_lock lock(mutex_);
  // A loop, not an if: waking up (by a notify, a timeout or spuriously) says
  // nothing about the GIL; only the state, read under the mutex, does. While
  // a forced hand-off is under way, the GIL is free but promised to handoff_to_.
  while (locked_ || (handoff_to_ != std::thread::id() && handoff_to_ != me)) {
    const auto seen = switches_;
    // Sleep at most one switch interval. If it ran out and the GIL has not
    // changed hands meanwhile, the holder has had its turn: ask it to let go.
    // The holder may be running bytecode and never call release() by itself.
    if (gil_free_cv_.wait_for(lock, switch_interval_) == std::cv_status::timeout && locked_ &&
        switches_ == seen && !drop_request_.load()) {
      requester_ = me;
      drop_request_.store(true);
    }
  }
  locked_ = true;
  holder_ = me;
  ++switches_;
  // Whoever asked is answered: a thread (the one that asked, after a forced
  // hand-off) got the GIL. A fresh request needs a fresh interval.
  requester_ = std::thread::id();
  handoff_to_ = std::thread::id();
  drop_request_.store(false);
}

void Gil::release() {
  {
    std::lock_guard guard(mutex_);
    if (!locked_ || holder_ != std::this_thread::get_id()) {
      throw std::logic_error("Gil::release: the calling thread does not hold the GIL");
    }
    locked_ = false;
    holder_ = std::thread::id();
  }
  // One waiter is enough: any of them may take it. Each waiter also wakes on
  // its own every switch interval, so no wake-up can be lost for good.
  gil_free_cv_.notify_one();
}

void Gil::yield_if_requested() {
  // The fast path, taken for almost every bytecode: one atomic load, no
  // mutex. A request set a moment after this load is seen at the next one.
  if (!drop_request_.load()) return;
  {
    std::lock_guard guard(mutex_);
    // Under the mutex a request still set means a waiter set it against this
    // holder and has not been served: it is inside acquire() and will take
    // the GIL.
    if (!drop_request_.load()) return;
    locked_ = false;
    holder_ = std::thread::id();
    // Fairness: the GIL goes to the thread that asked. Dropping it and
    // calling acquire() at once would almost always win it back (this thread
    // is running; the one it woke is still waking up), and the waiter would
    // starve, as with the GIL of Python 3.1 and before. Letting every waiter
    // race for it (CPython's way) can make one thread lose again and again.
    handoff_to_ = requester_;
  }
  // All of them: the one the GIL is promised to may be any of the sleepers.
  gil_free_cv_.notify_all();
  // Queue up like everyone else: this thread's own timed waits will ask the
  // new holder to let go after its interval.
  acquire();
}

bool Gil::held_by_this_thread() const {
  std::lock_guard guard(mutex_);
  return locked_ && holder_ == std::this_thread::get_id();
}

void interpret(Gil& gil, const std::function<Instruction()>& fetch) {
  // A Python thread holds the GIL whenever it runs Python code, so it takes
  // it first and gives it up only for blocking calls, on request, and at the end.
  gil.acquire();
  try {
    for (;;) {
      Instruction instruction = fetch();
      switch (instruction.kind) {
        case Instruction::Kind::halt:
          gil.release();
          return;
        case Instruction::Kind::bytecode:
          // Between two bytecodes: the only place the holder can hand over.
          // A thread that never does I/O gives others a turn only here.
          gil.yield_if_requested();
          instruction.body();
          break;
        case Instruction::Kind::blocking_io:
          // Py_BEGIN_ALLOW_THREADS ... Py_END_ALLOW_THREADS: the system call
          // touches no Python object, so other threads may run bytecode (or
          // their own I/O) meanwhile. That is why threads help I/O-bound code.
          // BUG (mutant): the blocking call runs with the GIL held, so every
          // other thread waits for it, I/O included.
          instruction.body();
          break;
      }
    }
  } catch (...) {
    // An exception leaves the thread's function: never exit holding the GIL,
    // or every other thread waits forever.
    if (gil.held_by_this_thread()) gil.release();
    throw;
  }
}
