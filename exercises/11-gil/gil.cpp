// gil.cpp: the GIL and the interpreter loop. Waiters sleep on gil_free_cv_ in
// slices of one switch interval; a slice that ends with the same holder still
// in place sets drop_request_ (and requester_). The holder checks the request
// between bytecodes and hands the GIL to requester_ (handoff_to_), so it
// cannot grab it straight back. Never poll: always block on the cv.
#include "gil.hpp"

#include <stdexcept>

Gil::Gil(std::chrono::microseconds switch_interval) : switch_interval_(switch_interval) {
  // TODO: Gil::Gil: throw std::invalid_argument unless the interval is positive.
  throw std::logic_error("TODO: Gil::Gil");
}

void Gil::acquire() {
  // TODO: Gil::acquire: under the mutex, while the GIL is locked (or promised
  // to another thread by handoff_to_), wait on gil_free_cv_ for at most one
  // switch interval; if that wait timed out, the GIL is still locked and has
  // not changed hands since (switches_), and no one asked yet, become the
  // requester and set drop_request_. Then take it: locked_, holder_,
  // ++switches_, and clear requester_, handoff_to_ and drop_request_.
  throw std::logic_error("TODO: Gil::acquire");
}

void Gil::release() {
  // TODO: Gil::release: throw std::logic_error unless the calling thread holds
  // the GIL (locked_ and holder_ both say so); mark it free (no holder); wake
  // one waiter: it must not sleep until its own switch interval runs out.
  throw std::logic_error("TODO: Gil::release");
}

void Gil::yield_if_requested() {
  // TODO: Gil::yield_if_requested: return at once unless drop_request_ is set
  // (one atomic load: this runs before every bytecode). Otherwise, under the
  // mutex, check it again, let go, promise the GIL to the requester
  // (handoff_to_), wake every waiter; then, unlocked, acquire() again.
  throw std::logic_error("TODO: Gil::yield_if_requested");
}

bool Gil::held_by_this_thread() const {
  // TODO: Gil::held_by_this_thread: locked and held by std::this_thread.
  throw std::logic_error("TODO: Gil::held_by_this_thread");
}

void interpret([[maybe_unused]] Gil& gil, [[maybe_unused]] const std::function<Instruction()>& fetch) {
  // TODO: interpret: take the GIL; loop: fetch an instruction; halt -> release
  // and return; bytecode -> yield_if_requested(), then run it; blocking_io ->
  // release, run it, acquire. Release the GIL if an instruction throws.
  throw std::logic_error("TODO: interpret");
}
