// spsc_ring.hpp: a bounded FIFO of ints for exactly one producer thread and
// one consumer thread, built on two atomic counters and no lock.
// Invariant to keep: head_ <= tail_ <= head_ + capacity; slots [head_, tail_)
// hold unread values. Only the producer writes tail_, only the consumer
// head_; each publishes with a release store that the other side reads with
// an acquire load.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

/// A single-producer single-consumer ring buffer of ints.
/// Thread safety: try_push() from one producer thread at a time and
/// try_pop() from one consumer thread at a time (they may be two different
/// threads, running at once); capacity() from any thread. Never blocks.
class SpscRing {
 public:
  /// The size of a cache line: the unit in which cores pass memory to each
  /// other; 64 bytes on x86-64 and most ARM cores. (C++17's
  /// std::hardware_destructive_interference_size names it, but not every
  /// compiler and library pair defines it yet.)
  static constexpr std::size_t kCacheLine = 64;

  /// A ring that holds exactly `capacity` values (no rounding).
  /// Throws std::invalid_argument when capacity is 0.
  explicit SpscRing(std::size_t capacity);
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  /// Producer only. Appends `value` and returns true, or returns false and
  /// changes nothing when the ring is full. Never waits.
  bool try_push(int value);
  /// Consumer only. Moves the oldest value into `out` and returns true, or
  /// returns false and leaves `out` alone when the ring is empty. Never waits.
  bool try_pop(int& out);
  /// How many values the ring holds when full.
  std::size_t capacity() const { return capacity_; }

  /// Where the two counters live, for the tests' layout check: they must sit
  /// on different cache lines. Keep these two if you rename the members.
  const void* head_address() const { return &head_; }
  const void* tail_address() const { return &tail_; }

 private:
  const std::size_t capacity_;
  const std::unique_ptr<int[]> slots_;  // value i lives in slots_[i % capacity_]

  // TODO: SpscRing layout: head_ is written by the consumer and tail_ by the
  // producer, on two cores. Give each a cache line of its own (alignas), so
  // that a write to one does not take the other's line away from its core.
  std::atomic<std::size_t> head_{0};  // next value to read; written by the consumer
  std::atomic<std::size_t> tail_{0};  // next value to write; written by the producer
};
