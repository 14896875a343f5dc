// spsc_ring.cpp: the ring's two sides. Each side owns one counter and reads
// the other's. Choose a memory order for every load and store: which of them
// must make the slot's contents visible to the other thread (release, and
// acquire where it is read), and which can be relaxed because only this
// thread ever writes that counter?
#include "spsc_ring.hpp"

#include <stdexcept>

SpscRing::SpscRing(std::size_t capacity) : capacity_(capacity), slots_(std::make_unique<int[]>(capacity)) {
  // TODO: SpscRing::SpscRing: refuse capacity 0 with std::invalid_argument.
  throw std::logic_error("TODO: SpscRing::SpscRing");
}

bool SpscRing::try_push(int value) {
  // TODO: SpscRing::try_push: read tail_ (yours) and head_ (the consumer's);
  // full when tail - head == capacity_: return false. Otherwise write the
  // value into slots_[tail % capacity_], then publish it by storing tail + 1.
  (void)value;
  throw std::logic_error("TODO: SpscRing::try_push");
}

bool SpscRing::try_pop(int& out) {
  // TODO: SpscRing::try_pop: read head_ (yours) and tail_ (the producer's);
  // empty when they are equal: return false. Otherwise read
  // slots_[head % capacity_] into out, then hand the slot back by storing
  // head + 1.
  (void)out;
  throw std::logic_error("TODO: SpscRing::try_pop");
}
