// blocking_queue.hpp: a bounded queue between producer and consumer threads
// (Python's queue.Queue(maxsize) plus close()). push waits while it is full,
// pop waits while it is empty; the _for versions give up after a timeout;
// close() makes pushers fail and lets poppers drain what is left. Invariant:
// every item pushed is popped exactly once. Primitives: one std::mutex and two
// std::condition_variables, one per thing to wait for; waits never spin.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>

/// Thrown by push (always, once closed) and by pop (once closed AND empty).
struct QueueClosed : std::runtime_error {
  QueueClosed() : std::runtime_error("BoundedQueue: closed") {}
};

/// A FIFO of ints holding at most capacity() items, for any number of
/// producer and consumer threads. (A template in real code; a fixed item type
/// keeps your work in the .cpp, which recompiles in a second.)
/// Thread safety: every member is safe from any thread.
class BoundedQueue {
 public:
  /// Throws std::invalid_argument when capacity is 0.
  explicit BoundedQueue(std::size_t capacity);
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  /// Appends `item`, waiting while the queue is full. Throws QueueClosed if the
  /// queue is closed, also when close() comes while it waits (item not added).
  void push(int item);
  /// Like push, but waits at most `timeout`: returns false (item not added)
  /// when the queue is still full then.
  bool push_for(int item, std::chrono::milliseconds timeout);

  /// Removes and returns the oldest item, waiting while the queue is empty.
  /// After close() it still returns the items left; once those are gone it
  /// throws QueueClosed (also to a pop that was waiting when close() came).
  int pop();
  /// Like pop, but waits at most `timeout`: returns std::nullopt when the
  /// queue is still empty (and open) then.
  std::optional<int> pop_for(std::chrono::milliseconds timeout);

  /// Closes the queue and wakes every waiting push and pop. Idempotent.
  void close();

  std::size_t size() const;
  std::size_t capacity() const;
  bool closed() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;                // guards everything below
  std::condition_variable not_full_cv_;     // items_.size() < capacity_ || closed_
  std::condition_variable not_empty_cv_;    // !items_.empty() || closed_
  std::deque<int> items_;
  bool closed_ = false;
  std::size_t num_waiting_pushers_ = 0;     // threads blocked in push/push_for
  std::size_t num_waiting_poppers_ = 0;     // threads blocked in pop/pop_for
};
