// lock_free_stack.cpp: Treiber's stack with deferred reclamation.
// push() and pop() each read the head, prepare the new head, and publish it
// with one compare-exchange, retrying when another thread got in between.
// Delete a popped node at once only when its pop is the only one running;
// otherwise put it on to_be_deleted_. Then no pop reads freed memory, and no
// address comes back (the ABA problem) while a pop that read it still runs.
#include "lock_free_stack.hpp"

#include <stdexcept>

LockFreeStack::~LockFreeStack() {
  // TODO: LockFreeStack::~LockFreeStack: delete the nodes still on the stack
  // (follow next from head_) and those on to_be_deleted_ (follow
  // pending_next). No other thread runs now.
}

void LockFreeStack::push(int value) {
  // TODO: LockFreeStack::push: make a node whose next is the head you read,
  // call step(Step::push_linked), then compare-exchange the head from that
  // next to the node; on failure (another thread changed the head) the
  // node's next is the new head: call step again and retry. Which order
  // makes the node's fields visible to the pop that reads it?
  (void)value;
  throw std::logic_error("TODO: LockFreeStack::push");
}

std::optional<int> LockFreeStack::pop() {
  // TODO: LockFreeStack::pop: count yourself in threads_in_pop_ first, then
  // read the head and call step(Step::pop_loaded_head); empty (nullptr):
  // count yourself out, return std::nullopt. Read head->next, call
  // step(Step::pop_read_next), compare-exchange the head from the node to
  // its next; retry on failure. The node is yours then: take its value and
  // free it, now or later (see the header).
  throw std::logic_error("TODO: LockFreeStack::pop");
}
