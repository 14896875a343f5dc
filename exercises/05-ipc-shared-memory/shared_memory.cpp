// shared_memory.cpp: build the counter and the ring in a managed segment.
// Keep: what is shared lives in the segment and holds only process-shared
// types (interprocess_mutex, interprocess_condition, integers: no pointers, no
// std::string); every access takes the mutex; the creator removes the name.
// Each process finds the objects by name: its mapping may sit at another address.
#include "shared_memory.hpp"

#include <boost/interprocess/shared_memory_object.hpp>
#include <boost/interprocess/sync/interprocess_condition.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <boost/interprocess/sync/scoped_lock.hpp>

#include <stdexcept>

namespace shm {

// TODO: CounterState: what the counter's segment holds (a mutex and the value).
struct CounterState {};

// TODO: RingState: a mutex, two condition variables (not empty, not full), the
// capacity, the index of the oldest value and how many values are stored.
struct RingState {};

SegmentRemover::SegmentRemover(std::string name) : name_(std::move(name)) {}

SegmentRemover::~SegmentRemover() {
  // TODO: SegmentRemover::~SegmentRemover: remove the name it owns, if any
  // (bip::shared_memory_object::remove, which returns false rather than throw).
}

SharedCounter::SharedCounter(bip::create_only_t, [[maybe_unused]] const std::string& name) {
  // TODO: SharedCounter(create_only): create the segment (create_only: it must
  // not exist yet), let remover_ own the name, construct the CounterState in
  // it. Mind the order: if constructing the state throws, the segment must go.
  throw std::logic_error("TODO: SharedCounter(create_only)");
}

SharedCounter::SharedCounter(bip::open_only_t, [[maybe_unused]] const std::string& name) {
  // TODO: SharedCounter(open_only): map the existing segment and find the
  // CounterState in it by name. This object owns nothing.
  throw std::logic_error("TODO: SharedCounter(open_only)");
}

SharedCounter::~SharedCounter() = default;

void SharedCounter::increment() {
  // TODO: SharedCounter::increment: add 1 under the segment's mutex.
  throw std::logic_error("TODO: SharedCounter::increment");
}

std::int64_t SharedCounter::value() const {
  // TODO: SharedCounter::value: read the value under the mutex.
  throw std::logic_error("TODO: SharedCounter::value");
}

void SharedCounter::update([[maybe_unused]] const std::function<void(std::int64_t&)>& fn) {
  // TODO: SharedCounter::update: call fn(value) with the mutex held; an
  // exception from fn must not leave it locked.
  throw std::logic_error("TODO: SharedCounter::update");
}

SharedRing::SharedRing(bip::create_only_t, [[maybe_unused]] const std::string& name,
                       [[maybe_unused]] std::size_t capacity) {
  // TODO: SharedRing(create_only): reject capacity 0 (std::invalid_argument)
  // before creating anything; create the segment (create_only: an existing
  // name is an error, never removed to make room; room for the state and
  // `capacity` values), own the name, construct the RingState and the slots.
  throw std::logic_error("TODO: SharedRing(create_only)");
}

SharedRing::SharedRing(bip::open_only_t, [[maybe_unused]] const std::string& name) {
  // TODO: SharedRing(open_only): map the segment, find the state and the slots.
  throw std::logic_error("TODO: SharedRing(open_only)");
}

SharedRing::~SharedRing() = default;

bool SharedRing::push([[maybe_unused]] std::int64_t value, [[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO: SharedRing::push: under the mutex, wait on "not full" up to timeout
  // (false if still full), store after the newest value, wake a consumer.
  throw std::logic_error("TODO: SharedRing::push");
}

std::optional<std::int64_t> SharedRing::pop([[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO: SharedRing::pop: under the mutex, wait on "not empty" up to timeout
  // (nullopt if still empty), take the oldest value, wake a producer.
  throw std::logic_error("TODO: SharedRing::pop");
}

std::size_t SharedRing::size() const {
  // TODO: SharedRing::size: the count, read under the mutex.
  throw std::logic_error("TODO: SharedRing::size");
}

std::size_t SharedRing::capacity() const {
  // TODO: SharedRing::capacity: the capacity stored in the state.
  throw std::logic_error("TODO: SharedRing::capacity");
}

}  // namespace shm
