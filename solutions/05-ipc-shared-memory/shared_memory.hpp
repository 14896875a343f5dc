// shared_memory.hpp: data shared by processes through a named segment of
// Boost.Interprocess managed_shared_memory: a counter any process can
// increment, and a bounded ring buffer between producer and consumer processes.
// Invariant: no update is lost, whatever the processes do at once; the process
// that created a segment removes its name, and a process that dies holding the
// lock never hangs the others. Tools: interprocess_mutex, interprocess_condition.
#pragma once

#include <boost/interprocess/creation_tags.hpp>
#include <boost/interprocess/managed_shared_memory.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace shm {

namespace bip = boost::interprocess;

/// Removes a named shared-memory object when it goes out of scope: the RAII
/// answer to "who deletes the file in /dev/shm?". A default-constructed
/// remover owns nothing. Confined to the process that created the object (a
/// forked child inherits a copy, which must never run: children end with _exit).
class SegmentRemover {
 public:
  SegmentRemover() = default;
  /// From now on this object owns `name` and removes it in its destructor.
  explicit SegmentRemover(std::string name);
  ~SegmentRemover();
  SegmentRemover(const SegmentRemover&) = delete;
  SegmentRemover& operator=(const SegmentRemover&) = delete;

  /// True when this remover will remove a name.
  bool owns() const { return !name_.empty(); }

 private:
  std::string name_;  // empty: nothing to remove
};

/// The counter's shared state (defined in shared_memory.cpp): it lives in the
/// segment, so it holds only process-shared types.
struct CounterState;

/// A 64-bit counter in the named segment `name`, shared by every process that
/// created or opened it (or inherited it through fork()).
/// Safe from any process and any thread: every access takes the segment's
/// interprocess_mutex. If a process dies while holding it, later operations
/// throw boost::interprocess::lock_exception instead of waiting forever.
class SharedCounter {
 public:
  /// Creates segment `name` with a counter at 0 and owns it: the destructor
  /// removes the name. Throws boost::interprocess::interprocess_exception if
  /// `name` already exists (and then leaves that segment alone).
  SharedCounter(bip::create_only_t, const std::string& name);
  /// Attaches to the counter in the existing segment `name` (another process
  /// created it). Does not own it: the destructor only unmaps.
  SharedCounter(bip::open_only_t, const std::string& name);
  ~SharedCounter();
  SharedCounter(const SharedCounter&) = delete;
  SharedCounter& operator=(const SharedCounter&) = delete;

  /// Adds 1.
  void increment();
  /// The current value.
  std::int64_t value() const;
  /// Calls fn(value) with the lock held, for steps that must happen together.
  /// If fn throws, the lock is released and the exception passes on.
  void update(const std::function<void(std::int64_t&)>& fn);
  /// True for the object that created the segment (and will remove it).
  bool owner() const { return remover_.owns(); }

 private:
  bip::managed_shared_memory segment_;  // this process's mapping of the segment
  SegmentRemover remover_;              // owns the name only in the creator
  CounterState* state_ = nullptr;       // inside segment_, at this process's address
};

/// The ring's shared state (defined in shared_memory.cpp).
struct RingState;

/// A bounded FIFO of int64 values in the named segment `name`: producers in
/// some processes push, consumers in others pop. Safe from any process and
/// thread; push waits while full and pop while empty, each up to a timeout.
class SharedRing {
 public:
  /// Creates segment `name` with room for `capacity` values and owns it.
  /// Throws std::invalid_argument for capacity 0, and
  /// boost::interprocess::interprocess_exception if `name` exists.
  SharedRing(bip::create_only_t, const std::string& name, std::size_t capacity);
  /// Attaches to the ring in the existing segment `name`.
  SharedRing(bip::open_only_t, const std::string& name);
  ~SharedRing();
  SharedRing(const SharedRing&) = delete;
  SharedRing& operator=(const SharedRing&) = delete;

  /// Appends `value`, waiting up to `timeout` for a free slot; false if none
  /// was freed in time (the value is then not in the ring).
  bool push(std::int64_t value, std::chrono::milliseconds timeout);
  /// Takes the oldest value, waiting up to `timeout` for one; nullopt if none
  /// arrived in time.
  std::optional<std::int64_t> pop(std::chrono::milliseconds timeout);
  /// How many values the ring holds now.
  std::size_t size() const;
  std::size_t capacity() const;
  bool owner() const { return remover_.owns(); }

 private:
  bip::managed_shared_memory segment_;
  SegmentRemover remover_;
  RingState* state_ = nullptr;     // inside segment_
  std::int64_t* slots_ = nullptr;  // capacity values, inside segment_
};

}  // namespace shm
