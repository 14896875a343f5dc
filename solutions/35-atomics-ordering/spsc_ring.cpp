// spsc_ring.cpp: the ring's two sides. Each side owns one counter: it reads
// its own with relaxed (no other thread writes it), reads the other side's
// with acquire, and publishes its own with release. A release store and the
// acquire load that reads it make everything written before the store
// visible after the load: the value in the slot (producer to consumer), and
// "I am done reading this slot" (consumer to producer).
#include "spsc_ring.hpp"

#include <stdexcept>

SpscRing::SpscRing(std::size_t capacity) : capacity_(capacity), slots_(std::make_unique<int[]>(capacity)) {
  if (capacity == 0) throw std::invalid_argument("SpscRing: capacity must be at least 1");
}

bool SpscRing::try_push(int value) {
  // Relaxed: only this thread writes tail_, so it reads its own last store.
  const std::size_t tail = tail_.load(std::memory_order_relaxed);
  // Acquire: pairs with the consumer's release of head_, so its reads of the
  // slots it freed are done before we write into them.
  const std::size_t head = head_.load(std::memory_order_acquire);
  if (tail - head == capacity_) return false;  // full: every slot holds an unread value
  slots_[tail % capacity_] = value;
  // Release: the value written above becomes visible to whoever acquires
  // this tail_ (the consumer) before it reads the slot.
  tail_.store(tail + 1, std::memory_order_release);
  return true;
}

bool SpscRing::try_pop(int& out) {
  // Relaxed: only this thread writes head_.
  const std::size_t head = head_.load(std::memory_order_relaxed);
  // Acquire: pairs with the producer's release of tail_, so the values in
  // slots [head, tail) are visible here.
  const std::size_t tail = tail_.load(std::memory_order_acquire);
  if (head == tail) return false;  // empty
  out = slots_[head % capacity_];
  // Release: our read of the slot happens before the producer, acquiring
  // this head_, writes a new value into it.
  head_.store(head + 1, std::memory_order_release);
  return true;
}
