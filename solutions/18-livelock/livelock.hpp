// livelock.hpp: two polite workers share two resources, and every job needs
// both. Each worker takes its own resource, TRIES the other one, and if that
// fails lets go of its own so the other can go first. Done naively, both keep
// letting go at the same moment forever: a livelock. Invariant: a job runs
// only while its worker holds both resources, and both workers finish.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

/// A resource the workers share: a mutex that can only be tried, never waited
/// for, and that remembers which thread holds it so the tests can check.
/// Works with std::unique_lock(resource, std::try_to_lock).
/// Thread safety: safe from any thread; only the holder may unlock().
class Resource {
 public:
  /// Takes the resource if it is free and returns true; never blocks.
  bool try_lock() {
    if (!mutex_.try_lock()) return false;
    holder_.store(std::this_thread::get_id());
    return true;
  }
  /// Releases the resource.
  void unlock() {
    holder_.store(std::thread::id());
    mutex_.unlock();
  }
  /// True when the calling thread holds the resource.
  bool held_by_me() const { return holder_.load() == std::this_thread::get_id(); }

 private:
  std::mutex mutex_;
  std::atomic<std::thread::id> holder_{};
};

/// What the two workers share. Worker i calls resource[i] its own.
struct Workbench {
  Resource resource[2];
};

/// The scheduling point. A worker calls step() after every try_lock (whether
/// it succeeded or not) and once per unit of back-off; it never sleeps or
/// spins otherwise. In a program it could be std::this_thread::yield; the
/// tests make it a barrier that moves both workers one step at a time, in
/// lock step, the most unlucky schedule there is. step() may throw (the tests
/// stop a livelock that way): hold resources only through RAII.
using Step = std::function<void()>;

/// One job; it runs while the worker holds both resources. Its argument is
/// the worker's id.
using Job = std::function<void(int worker)>;

/// Worker `id` (0 or 1) runs `jobs` jobs, each while holding both resources,
/// releasing both after each job, then returns. Resources are only tried:
/// after a failed try the worker lets go of what it holds, backs off by
/// calling step() some number of times, and tries again. Throws
/// std::invalid_argument for another id; lets what job() or step() throws
/// escape, with every resource released.
void polite_worker(Workbench& bench, int id, int jobs, const Job& job, const Step& step);
