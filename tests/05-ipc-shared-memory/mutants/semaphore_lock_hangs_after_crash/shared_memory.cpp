// shared_memory.cpp: the counter and the ring, built from a managed segment.
// What is shared lives in the segment and holds only process-shared types: an
// interprocess_mutex (robust on Linux: when its holder dies, the next lock()
// throws instead of hanging), interprocess_conditions, plain integers. Each
// process finds the objects by name: its mapping may sit at another address.
#include "shared_memory.hpp"

#include <boost/interprocess/shared_memory_object.hpp>
#include <boost/interprocess/sync/interprocess_condition.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <boost/interprocess/sync/interprocess_semaphore.hpp>
#include <boost/interprocess/sync/scoped_lock.hpp>

#include <stdexcept>

namespace shm {

namespace {
constexpr std::size_t kCounterSegmentSize = 64 * 1024;  // the state plus the segment's bookkeeping
constexpr char kStateName[] = "state";                   // names of the objects inside the segment
constexpr char kSlotsName[] = "slots";
using Lock = bip::scoped_lock<bip::interprocess_mutex>;
}  // namespace

// Everything in here is in shared memory: a pointer or std::string would point
// into one process's private memory, meaningless in the others.
struct CounterState {
  bip::interprocess_semaphore mutex{1};  // MUTANT: a semaphore as a lock: not robust
  std::int64_t value = 0;
};

struct RingState {
  explicit RingState(std::size_t cap) : capacity(cap) {}
  bip::interprocess_mutex mutex;             // guards head and count (and the slots)
  bip::interprocess_condition not_empty_cv;  // count > 0
  bip::interprocess_condition not_full_cv;   // count < capacity
  const std::size_t capacity;
  std::size_t head = 0;   // index of the oldest value
  std::size_t count = 0;  // values in the ring
};

SegmentRemover::SegmentRemover(std::string name) : name_(std::move(name)) {}

SegmentRemover::~SegmentRemover() {
  // Removing unlinks the name, like deleting a file: processes that still map
  // the segment keep using it, the memory goes when the last one unmaps.
  // remove() returns false instead of throwing, which a destructor needs.
  if (!name_.empty()) bip::shared_memory_object::remove(name_.c_str());
}

// The members are initialized in declaration order: the segment is created
// first (throwing, and owning nothing, if the name exists), then the remover
// takes the name, then the state is built. If building the state throws, the
// remover is already a fully constructed member, so it removes the segment.
SharedCounter::SharedCounter(bip::create_only_t, const std::string& name)
    : segment_(bip::create_only, name.c_str(), kCounterSegmentSize),
      remover_(name),
      state_(segment_.construct<CounterState>(kStateName)()) {}

SharedCounter::SharedCounter(bip::open_only_t, const std::string& name)
    : segment_(bip::open_only, name.c_str()), state_(segment_.find<CounterState>(kStateName).first) {
  if (!state_) throw std::runtime_error("SharedCounter: no counter in segment " + name);
}

// The members' destructors do the work: unmap, then (in the owner) remove.
SharedCounter::~SharedCounter() = default;

void SharedCounter::increment() {
  // ++value is a read, an add and a write: two processes doing it at once
  // can both read 5 and both write 6. The lock makes the three one step.
  state_->mutex.wait();
  ++state_->value;
  state_->mutex.post();
}

std::int64_t SharedCounter::value() const {
  state_->mutex.wait();
  const std::int64_t v = state_->value;
  state_->mutex.post();
  return v;
}

void SharedCounter::update(const std::function<void(std::int64_t&)>& fn) {
  // scoped_lock unlocks in its destructor, so an exception from fn cannot
  // leave the mutex locked for every other process.
  state_->mutex.wait();
  try {
    fn(state_->value);
  } catch (...) {
    state_->mutex.post();
    throw;
  }
  state_->mutex.post();
}

SharedRing::SharedRing(bip::create_only_t, const std::string& name, std::size_t capacity)
    : segment_(bip::create_only, name.c_str(),
               capacity == 0 ? throw std::invalid_argument("SharedRing: capacity must be positive")
                             : 64 * 1024 + capacity * sizeof(std::int64_t)),
      remover_(name),
      state_(segment_.construct<RingState>(kStateName)(capacity)),
      slots_(segment_.construct<std::int64_t>(kSlotsName)[capacity](0)) {}

SharedRing::SharedRing(bip::open_only_t, const std::string& name)
    : segment_(bip::open_only, name.c_str()),
      state_(segment_.find<RingState>(kStateName).first),
      slots_(segment_.find<std::int64_t>(kSlotsName).first) {
  if (!state_ || !slots_) throw std::runtime_error("SharedRing: no ring in segment " + name);
}

SharedRing::~SharedRing() = default;

bool SharedRing::push(std::int64_t value, std::chrono::milliseconds timeout) {
  Lock lock(state_->mutex);
  // The predicate form re-checks after every wake-up (spurious, or another
  // producer took the slot first) and gives up at the deadline.
  if (!state_->not_full_cv.wait_for(lock, timeout, [&] { return state_->count < state_->capacity; })) return false;
  slots_[(state_->head + state_->count) % state_->capacity] = value;
  ++state_->count;
  // A consumer may be asleep on an empty ring: wake one.
  state_->not_empty_cv.notify_one();
  return true;
}

std::optional<std::int64_t> SharedRing::pop(std::chrono::milliseconds timeout) {
  Lock lock(state_->mutex);
  if (!state_->not_empty_cv.wait_for(lock, timeout, [&] { return state_->count > 0; })) return std::nullopt;
  const std::int64_t value = slots_[state_->head];
  state_->head = (state_->head + 1) % state_->capacity;
  --state_->count;
  // A producer may be asleep on a full ring: wake one.
  state_->not_full_cv.notify_one();
  return value;
}

std::size_t SharedRing::size() const {
  Lock lock(state_->mutex);
  return state_->count;
}

std::size_t SharedRing::capacity() const { return state_->capacity; }

}  // namespace shm
