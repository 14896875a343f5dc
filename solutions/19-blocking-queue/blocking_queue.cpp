// blocking_queue.cpp: the bounded queue. One mutex guards the items and the
// closed flag; each condition variable is named for what its waiters wait
// for, and every wait has a predicate, so spurious and stolen wake-ups are
// harmless. The timed versions are the same waits with a deadline: wait_for
// with a predicate returns the predicate's value, false only on timeout.
// Each side counts its sleepers, so the other side notifies only when someone
// sleeps: while items flow, nobody waits, and a notify with no one to wake is
// work for nothing (in glibc an atomic read-modify-write at least).
#include "blocking_queue.hpp"

BoundedQueue::BoundedQueue(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0) throw std::invalid_argument("BoundedQueue: capacity must be at least 1");
}

void BoundedQueue::push(int item) {
  bool wake_popper;
  {
    std::unique_lock lock(mutex_);
    // Sleeps (no CPU) until there is room or the queue closes; the predicate
    // is re-checked after every wake-up, so another pusher that took the slot
    // first just sends us back to sleep.
    // The count goes up only while we hold the lock, and down when we hold
    // it again: other threads see it above zero only while we really sleep.
    ++num_waiting_pushers_;
    not_full_cv_.wait(lock, [this] { return items_.size() < capacity_ || closed_; });
    --num_waiting_pushers_;
    if (closed_) throw QueueClosed();
    items_.push_back(item);
    wake_popper = num_waiting_poppers_ > 0;
  }
  // One new item can feed one popper. Notifying after unlocking spares the
  // woken thread from blocking on the mutex we still hold.
  if (wake_popper) not_empty_cv_.notify_one();
}

bool BoundedQueue::push_for(int item, std::chrono::milliseconds timeout) {
  bool wake_popper;
  {
    std::unique_lock lock(mutex_);
    // The deadline holds across spurious wake-ups: wait_for with a predicate
    // waits until now + timeout in total, not timeout per wake-up.
    ++num_waiting_pushers_;
    const bool room = not_full_cv_.wait_for(lock, timeout, [this] { return items_.size() < capacity_ || closed_; });
    --num_waiting_pushers_;
    if (!room) return false;
    if (closed_) throw QueueClosed();
    items_.push_back(item);
    wake_popper = num_waiting_poppers_ > 0;
  }
  if (wake_popper) not_empty_cv_.notify_one();
  return true;
}

int BoundedQueue::pop() {
  int item;
  bool wake_pusher;
  {
    std::unique_lock lock(mutex_);
    ++num_waiting_poppers_;
    not_empty_cv_.wait(lock, [this] { return !items_.empty() || closed_; });
    --num_waiting_poppers_;
    // Closed but not empty: drain first. Only an empty, closed queue says so.
    if (items_.empty()) throw QueueClosed();
    // Read and remove in one critical section: two poppers never get the
    // same item, and none is skipped.
    item = items_.front();
    items_.pop_front();
    wake_pusher = num_waiting_pushers_ > 0;
  }
  if (wake_pusher) not_full_cv_.notify_one();  // one free slot: one pusher may go on
  return item;
}

std::optional<int> BoundedQueue::pop_for(std::chrono::milliseconds timeout) {
  int item;
  bool wake_pusher;
  {
    std::unique_lock lock(mutex_);
    ++num_waiting_poppers_;
    const bool ready = not_empty_cv_.wait_for(lock, timeout, [this] { return !items_.empty() || closed_; });
    --num_waiting_poppers_;
    if (!ready) return std::nullopt;
    if (items_.empty()) throw QueueClosed();
    item = items_.front();
    items_.pop_front();
    wake_pusher = num_waiting_pushers_ > 0;
  }
  if (wake_pusher) not_full_cv_.notify_one();
  return item;
}

void BoundedQueue::close() {
  {
    std::lock_guard guard(mutex_);
    closed_ = true;
  }
  // EVERY waiter must re-check its predicate: pushers to fail, poppers to
  // drain or fail. notify_one here would leave the others asleep forever.
  not_full_cv_.notify_all();
  not_empty_cv_.notify_all();
}

std::size_t BoundedQueue::size() const {
  std::lock_guard guard(mutex_);
  return items_.size();
}

std::size_t BoundedQueue::capacity() const { return capacity_; }

bool BoundedQueue::closed() const {
  std::lock_guard guard(mutex_);
  return closed_;
}
