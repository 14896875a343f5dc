// blocking_queue.cpp: build the bounded queue. One mutex guards the items and
// the closed flag; pushers wait on not_full_cv_, poppers on not_empty_cv_,
// always with a predicate (never a polling loop). The _for versions are the
// same waits with a timeout. close() must wake every waiter of both kinds.
#include "blocking_queue.hpp"

BoundedQueue::BoundedQueue(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0) throw std::invalid_argument("BoundedQueue: capacity must be at least 1");
}

void BoundedQueue::push([[maybe_unused]] int item) {
  // TODO: BoundedQueue::push: under the mutex, wait on not_full_cv_ until
  // there is room or the queue is closed; throw QueueClosed if closed, else
  // append. Then wake one popper.
  throw std::logic_error("TODO: BoundedQueue::push");
}

bool BoundedQueue::push_for([[maybe_unused]] int item, [[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO: BoundedQueue::push_for: as push, but with wait_for(lock, timeout,
  // predicate); return false when it times out.
  throw std::logic_error("TODO: BoundedQueue::push_for");
}

int BoundedQueue::pop() {
  // TODO: BoundedQueue::pop: wait on not_empty_cv_ until there is an item or
  // the queue is closed; if it is empty (so closed), throw QueueClosed; else
  // take the front item in the same critical section. Then wake one pusher.
  throw std::logic_error("TODO: BoundedQueue::pop");
}

std::optional<int> BoundedQueue::pop_for([[maybe_unused]] std::chrono::milliseconds timeout) {
  // TODO: BoundedQueue::pop_for: as pop, but return std::nullopt when the
  // wait times out.
  throw std::logic_error("TODO: BoundedQueue::pop_for");
}

void BoundedQueue::close() {
  // TODO: BoundedQueue::close: set closed_ under the mutex, then wake every
  // waiting pusher and popper.
  throw std::logic_error("TODO: BoundedQueue::close");
}

std::size_t BoundedQueue::size() const {
  // TODO: BoundedQueue::size: read the item count under the mutex.
  throw std::logic_error("TODO: BoundedQueue::size");
}

std::size_t BoundedQueue::capacity() const { return capacity_; }

bool BoundedQueue::closed() const {
  // TODO: BoundedQueue::closed: read the flag under the mutex.
  throw std::logic_error("TODO: BoundedQueue::closed");
}
