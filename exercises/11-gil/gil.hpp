// gil.hpp: build a Global Interpreter Lock like CPython's (>= 3.2) and the
// interpreter loop that uses it.
// Invariant: at most one thread runs bytecode at any moment; blocking I/O runs
// with the GIL released; a thread that waits a whole switch interval makes the
// holder let go and hand the GIL to it.
// Use the members below: one std::mutex, one condition variable, one atomic.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

/// The one lock every interpreter thread must hold to run bytecode.
/// Thread safety: safe from any thread. release() and yield_if_requested()
/// must be called by the thread that holds the GIL; acquire() by one that does
/// not (it is not recursive).
class Gil {
 public:
  /// `switch_interval` is how long a waiting thread lets the holder run before
  /// it asks for the GIL (Python: sys.setswitchinterval, 5 ms by default).
  /// Throws std::invalid_argument unless it is positive.
  explicit Gil(std::chrono::microseconds switch_interval = std::chrono::milliseconds(5));
  Gil(const Gil&) = delete;
  Gil& operator=(const Gil&) = delete;

  /// take_gil(): blocks until the calling thread holds the GIL. When a whole
  /// switch interval passes while the same holder keeps it, sets the drop
  /// request (unless another waiter already did), which asks the holder to
  /// hand the GIL to this thread.
  void acquire();

  /// drop_gil(): lets go of the GIL and wakes one waiter. Used around blocking
  /// I/O (Py_BEGIN_ALLOW_THREADS) and when a thread ends. Throws
  /// std::logic_error if the calling thread does not hold the GIL.
  void release();

  /// The check the eval loop makes between two bytecodes. Cheap (one atomic
  /// load) unless a waiter has asked for the GIL; then hands the GIL to that
  /// waiter (so the caller cannot grab it straight back) and waits for it
  /// again like any other thread.
  void yield_if_requested();

  /// PyGILState_Check(): whether the calling thread holds the GIL.
  bool held_by_this_thread() const;

  std::chrono::microseconds switch_interval() const { return switch_interval_; }

 private:
  const std::chrono::microseconds switch_interval_;
  mutable std::mutex mutex_;               // guards all but drop_request_
  std::condition_variable gil_free_cv_;    // !locked_ (and no hand-off to another thread)
  [[maybe_unused]] bool locked_ = false;         // someone holds the GIL
  std::thread::id holder_;                       // who, while locked_
  [[maybe_unused]] std::uint64_t switches_ = 0;  // how many times the GIL was taken
                                                 // ([[maybe_unused]] only quiets clang while the stub ignores them)
  std::thread::id requester_;              // the waiter that set drop_request_
  std::thread::id handoff_to_;             // after a forced drop: the only thread
                                           // that may take the GIL next (none: anyone)
  std::atomic<bool> drop_request_{false};  // a waiter asks the holder to let go; also
                                           // read without the mutex, between bytecodes
};

/// One instruction of a simulated Python thread.
struct Instruction {
  enum class Kind {
    bytecode,     // pure Python work: runs with the GIL held
    blocking_io,  // a system call (read, sleep, recv): runs with the GIL released
    halt,         // the thread's function returned
  };
  Kind kind = Kind::halt;
  std::function<void()> body;  // what the instruction does (unused for halt)
};

/// Runs one simulated Python thread on the calling OS thread: takes the GIL,
/// then fetches and runs instructions until a halt, and lets go of the GIL
/// before returning (also if an instruction throws). `fetch` is called with
/// the GIL held.
void interpret(Gil& gil, const std::function<Instruction()>& fetch);
