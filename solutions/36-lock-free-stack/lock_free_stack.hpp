// lock_free_stack.hpp: a LIFO stack of ints that any number of threads push to
// and pop from at once, with no lock: a Treiber stack, one compare-exchange on
// the head per operation.
// Invariant: a node is freed only when no pop() can still hold a pointer to
// it. Pops announce themselves in threads_in_pop_; a node removed while
// another pop runs waits in to_be_deleted_ until a pop finds itself alone.
#pragma once

#include <atomic>
#include <functional>
#include <optional>

/// A lock-free LIFO stack of ints (Treiber's algorithm).
/// Thread safety: push() and pop() from any number of threads at once; a
/// thread stopped anywhere inside one of them never stops the others.
/// set_test_hook() only while no other thread uses the stack.
class LockFreeStack {
 public:
  LockFreeStack() = default;
  LockFreeStack(const LockFreeStack&) = delete;
  LockFreeStack& operator=(const LockFreeStack&) = delete;
  /// Frees every node: those still on the stack and those whose freeing was
  /// put off. No other thread may be inside push() or pop() any more.
  ~LockFreeStack();

  /// Puts `value` on top. Never waits for another thread.
  void push(int value);
  /// Takes the value on top, or returns std::nullopt when the stack is empty.
  /// Never waits for another thread.
  std::optional<int> pop();

  /// Test seam: the points inside push() and pop() where another thread's
  /// operation may come in between, named so that a test can stop a thread
  /// exactly there and play the interleaving it wants.
  enum class Step {
    pop_loaded_head,  // pop(): has read head_ (after announcing itself), not yet its next
    pop_read_next,    // pop(): has read head->next, not yet tried the compare-exchange
    push_linked,      // push(): the new node points at the head it read, not yet published
  };
  /// Test seam: `hook` is called at every Step, on the thread that reaches it,
  /// every time round the retry loop. Tests use it to stop a thread between
  /// reading the head and the compare-exchange. Empty by default (no cost
  /// but one test of an empty std::function).
  void set_test_hook(std::function<void(Step)> hook) { hook_ = std::move(hook); }

 private:
  struct Node {
    int value;
    Node* next;                    // the node below; written once, before the node is published
    Node* pending_next = nullptr;  // the link in to_be_deleted_ (not next: a late pop may still read next)
  };

  void step(Step s) const {
    if (hook_) hook_(s);
  }
  void try_reclaim(Node* node);
  void defer(Node* first);               // puts a chain linked by pending_next on to_be_deleted_
  static void delete_chain(Node* first);  // deletes a chain linked by pending_next

  std::atomic<Node*> head_{nullptr};
  // Deferred reclamation: how many threads are inside pop(), and the nodes
  // removed while another pop() could still read them.
  std::atomic<int> threads_in_pop_{0};
  std::atomic<Node*> to_be_deleted_{nullptr};
  std::function<void(Step)> hook_;
};
