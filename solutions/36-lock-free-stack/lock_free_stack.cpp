// lock_free_stack.cpp: Treiber's stack with deferred reclamation.
// push() and pop() each read the head, prepare the new head, and publish it
// with one compare-exchange, retrying when another thread got in between.
// A popped node is deleted at once only when its pop is the only one
// running; otherwise it waits on to_be_deleted_, so no pop ever reads freed
// memory, and no address is reused (the ABA problem) while a pop that read
// it is still running.
#include "lock_free_stack.hpp"

LockFreeStack::~LockFreeStack() {
  // No other thread is inside push() or pop() now: plain walks are enough.
  for (Node* node = head_.load(std::memory_order_relaxed); node != nullptr;) {
    Node* below = node->next;
    delete node;
    node = below;
  }
  delete_chain(to_be_deleted_.load(std::memory_order_relaxed));
}

void LockFreeStack::push(int value) {
  // Relaxed: the value read only seeds node->next; the compare-exchange
  // checks it.
  Node* node = new Node{value, head_.load(std::memory_order_relaxed)};
  for (;;) {
    step(Step::push_linked);
    // Release: node->value and node->next, written above, become visible to
    // the pop that reads this head. On failure the current head is written
    // into node->next, and we try again.
    if (head_.compare_exchange_weak(node->next, node, std::memory_order_release, std::memory_order_relaxed)) return;
  }
}

std::optional<int> LockFreeStack::pop() {
  // Announce this pop before reading the head: a thread that removes a node
  // and then finds threads_in_pop_ == 1 knows nobody read that node. That
  // is two threads each writing one variable and reading the other's (us:
  // the counter, then the head; the remover: the head, then the counter),
  // so these accesses keep the default seq_cst order: with acquire/release
  // only, both could read the old values.
  threads_in_pop_.fetch_add(1);
  // seq_cst (so also acquire): pairs with the push's release, so the node's
  // next and value are visible before we read them.
  Node* old_head = head_.load();
  for (;;) {
    step(Step::pop_loaded_head);
    if (old_head == nullptr) {
      threads_in_pop_.fetch_sub(1);
      return std::nullopt;
    }
    // Safe to read: old_head cannot be freed while we are counted.
    Node* next = old_head->next;
    step(Step::pop_read_next);
    // Succeeds only if the head is still old_head; and old_head cannot have
    // been popped, freed and reallocated in between (we are counted), so
    // its next is still `next`. On failure old_head is the current head.
    if (head_.compare_exchange_weak(old_head, next)) break;
  }
  // The node is ours now: nobody else can pop it.
  const int value = old_head->value;
  try_reclaim(old_head);
  return value;
}

void LockFreeStack::try_reclaim(Node* node) {
  if (threads_in_pop_.load() == 1) {
    // Only this pop is running. Any pop that read `node` before we removed
    // it would still be counted, and pops that start later cannot reach it:
    // delete it now. Take the deferred nodes too...
    Node* claimed = to_be_deleted_.exchange(nullptr);
    if (threads_in_pop_.fetch_sub(1) == 1) {
      // ...and delete them if we were still alone when we took them.
      delete_chain(claimed);
    } else {
      // A pop started meanwhile; it may have read one of them. Put them back.
      defer(claimed);
    }
    delete node;
  } else {
    // Another pop is running and may hold `node`: put its freeing off.
    node->pending_next = nullptr;
    defer(node);
    threads_in_pop_.fetch_sub(1);
  }
}

void LockFreeStack::defer(Node* first) {
  if (first == nullptr) return;
  Node* last = first;
  while (last->pending_next != nullptr) last = last->pending_next;
  // The same push as push()'s, on the list of deferred nodes.
  last->pending_next = to_be_deleted_.load();
  while (!to_be_deleted_.compare_exchange_weak(last->pending_next, first)) {
  }
}

void LockFreeStack::delete_chain(Node* first) {
  while (first != nullptr) {
    Node* next = first->pending_next;
    delete first;
    first = next;
  }
}
