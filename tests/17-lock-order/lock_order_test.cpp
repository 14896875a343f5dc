// Hidden tests of 17-lock-order: a CheckedMutex must report a lock-order
// inversion (a deadlock that COULD happen) with its cycle, on a run where
// nothing deadlocked, and must never report locks taken in one order.
//
// The inversions are sequential on purpose: one thread takes A then B and
// lets go, later a thread takes B then A. No test needs a real deadlock, so
// ThreadSanitizer's own lock-order detector is off for this exercise
// (detect_deadlocks=0 in kata.json). Every call that could block runs on a
// helper thread with a deadline; the mutexes live in shared_ptrs that those
// threads hold, so a thread abandoned on a timeout touches nothing freed.
#include <catch2/catch.hpp>

#include "lock_order.hpp"

#include <kata/test.hpp>

#include <array>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

using Mutex = std::shared_ptr<CheckedMutex>;

constexpr auto kDeadline = 2s;

Mutex make(const std::string& name) { return std::make_shared<CheckedMutex>(name); }

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : " -> ") + name;
  return text;
}

std::string names_of(const std::vector<Mutex>& order) {
  std::string text;
  for (const auto& m : order) text += (text.empty() ? "" : ", ") + m->name();
  return text;
}

/// In the calling thread: locks `order` one after the other, then unlocks in
/// reverse. Returns the reported cycle ("A -> B -> A"), or "" when none.
/// What was taken is released in every case.
std::string nest(const std::vector<Mutex>& order) {
  std::vector<std::unique_lock<CheckedMutex>> held;
  try {
    for (const auto& m : order) held.emplace_back(*m);
  } catch (const PotentialDeadlock& e) {
    return joined(e.cycle());
  }
  while (!held.empty()) held.pop_back();
  return "";
}

/// nest() on a new thread (each call is another thread), with a deadline.
std::string nest_on_new_thread(const std::vector<Mutex>& order) {
  auto result = kata::value_within(kDeadline, [order] { return nest(order); });
  if (!result) {
    FAIL("locking " << names_of(order) << " on a fresh thread did not return within 2 s: "
                    << "a lock left taken after a report, or a wait before the check?");
  }
  return *result;
}

/// A thread that holds one mutex until release() (or 5 s), so that another
/// thread can find it taken. Joined by the destructor.
class Holder {
 public:
  explicit Holder(Mutex m) {
    thread_ = std::thread([this, m, released = release_.get_future()] {
      log_.capture("holder", [&] {
        std::lock_guard guard(*m);
        holding_.set_value();
        (void)released.wait_for(5s);
      });
    });
  }
  ~Holder() {
    release();
    thread_.join();
  }
  /// True once the holder has the mutex (false after `limit`).
  bool holding_within(std::chrono::milliseconds limit) { return holding_future_.wait_for(limit) == std::future_status::ready; }
  void release() {
    if (!released_) release_.set_value();
    released_ = true;
  }
  std::string failures() const { return log_.empty() ? "" : log_.summary(); }

 private:
  kata::FailureLog log_;
  std::promise<void> holding_;
  std::future<void> holding_future_ = holding_.get_future();
  std::promise<void> release_;
  bool released_ = false;
  std::thread thread_;
};

}  // namespace

TEST_CASE("locks always taken in one order are never reported", "[17-lock-order][req:6][unit]") {
  auto a = make("A"), b = make("B"), c = make("C");
  REQUIRE(nest_on_new_thread({a, b}) == "");
  REQUIRE(nest_on_new_thread({b, c}) == "");
  REQUIRE(nest_on_new_thread({a, b, c}) == "");
  REQUIRE(nest_on_new_thread({a, c}) == "");
  REQUIRE(nest_on_new_thread({c}) == "");
  REQUIRE(nest_on_new_thread({a, b, c}) == "");
}

TEST_CASE("taking two mutexes in the opposite order is reported although nothing deadlocked", "[17-lock-order][req:3][req:4][unit]") {
  auto a = make("A"), b = make("B");
  SECTION("by two threads, one after the other") {
    REQUIRE(nest_on_new_thread({a, b}) == "");
    REQUIRE(nest_on_new_thread({b, a}) == "A -> B -> A");
  }
  SECTION("by one thread") {
    auto result = kata::value_within(kDeadline, [a, b] { return nest({a, b}) + " | " + nest({b, a}); });
    REQUIRE(result.has_value());
    REQUIRE(*result == " | A -> B -> A");
  }
  // The refused lock was not taken and its edge not recorded: both mutexes
  // are free, and A then B is still the one allowed order.
  REQUIRE(nest_on_new_thread({a}) == "");
  REQUIRE(nest_on_new_thread({b}) == "");
  REQUIRE(nest_on_new_thread({a, b}) == "");
  REQUIRE(nest_on_new_thread({b, a}) == "A -> B -> A");
}

TEST_CASE("the report's message names the cycle", "[17-lock-order][req:3][unit]") {
  auto a = make("accounts"), b = make("audit log");
  REQUIRE(nest_on_new_thread({a, b}) == "");
  auto message = kata::value_within(kDeadline, [a, b]() -> std::string {
    std::lock_guard guard(*b);
    try {
      std::lock_guard inverted(*a);
    } catch (const PotentialDeadlock& e) {
      return e.what();
    }
    return "no report";
  });
  REQUIRE(message.has_value());
  REQUIRE(*message == "potential deadlock: accounts -> audit log -> accounts");
}

TEST_CASE("a longer cycle is reported with every mutex on it in order", "[17-lock-order][req:2][req:4][unit]") {
  const int n = GENERATE(3, 4, 5);
  CAPTURE(n);
  const std::array<const char*, 5> names{"A", "B", "C", "D", "E"};
  std::vector<Mutex> m;
  for (int i = 0; i < n; ++i) m.push_back(make(names[i]));
  // A before B, B before C, ...: each pair on its own thread, never all at once.
  for (int i = 0; i + 1 < n; ++i) REQUIRE(nest_on_new_thread({m[i], m[i + 1]}) == "");
  // Holding the last while asking for the first closes A -> B -> ... -> A.
  std::string expected;
  for (int i = 0; i < n; ++i) expected += std::string(names[i]) + " -> ";
  expected += "A";
  REQUIRE(nest_on_new_thread({m[n - 1], m[0]}) == expected);
}

TEST_CASE("locking a mutex the thread already holds is reported as a cycle of one", "[17-lock-order][req:5][unit]") {
  auto a = make("A");
  REQUIRE(nest_on_new_thread({a, a}) == "A -> A");
  REQUIRE(nest_on_new_thread({a}) == "");
}

TEST_CASE("a refused lock records no edge, not even from the mutexes held that close no cycle",
          "[17-lock-order][req:3][unit]") {
  auto a = make("A"), b = make("B"), c = make("C");
  REQUIRE(nest_on_new_thread({c, b}) == "");  // C before B
  // Holding A and B, C closes C -> B -> C through B; from A there is no cycle.
  REQUIRE(nest_on_new_thread({a, b, c}) == "C -> B -> C");
  // C was refused: no A -> C was recorded, so C before A is still allowed.
  INFO("check every mutex held first, then record: an edge recorded for a refused lock is a false report later");
  REQUIRE(nest_on_new_thread({c, a}) == "");
}

TEST_CASE("locking again a mutex held under others is reported as a cycle of one", "[17-lock-order][req:5][unit]") {
  auto a = make("A"), b = make("B"), c = make("C");
  REQUIRE(nest_on_new_thread({a, b, c, a}) == "A -> A");
  REQUIRE(nest_on_new_thread({a, b, c}) == "");
}

TEST_CASE("the report comes before lock waits for a mutex another thread holds", "[17-lock-order][req:3][unit]") {
  auto a = make("A"), b = make("B");
  REQUIRE(nest_on_new_thread({a, b}) == "");

  // Another thread holds A. Holding B and asking for A would really wait
  // now; the checked mutex must refuse at once instead of waiting first.
  std::optional<std::string> report;
  bool holding = false;
  std::string holder_failures;
  {
    Holder holder(a);
    holding = holder.holding_within(kDeadline);
    if (holding) report = kata::value_within(kDeadline, [a, b] { return nest({b, a}); });
    holder.release();
    holder_failures = holder.failures();
  }
  INFO(holder_failures);
  REQUIRE(holding);
  INFO("holding B, lock(A) waited for the thread that holds A instead of reporting first");
  REQUIRE(report.has_value());
  REQUIRE(*report == "A -> B -> A");
}

TEST_CASE("a mutex another thread holds does not order this thread's locks", "[17-lock-order][req:6][unit]") {
  auto a = make("A"), b = make("B"), c = make("C");
  std::string first;
  bool holding = false;
  std::string holder_failures;
  {
    // While another thread holds C, this one takes A then B: that is
    // contention, not nesting, so no edge C -> A or C -> B.
    Holder holder(c);
    holding = holder.holding_within(kDeadline);
    if (holding) first = nest_on_new_thread({a, b});
    holder.release();
    holder_failures = holder.failures();
  }
  INFO(holder_failures);
  REQUIRE(holding);
  REQUIRE(first == "");
  REQUIRE(nest_on_new_thread({a, b, c}) == "");
}

TEST_CASE("a released mutex orders nothing taken after it", "[17-lock-order][req:6][unit]") {
  auto a = make("A"), b = make("B"), c = make("C"), d = make("D");
  auto outcome = kata::value_within(kDeadline, [a, b, c, d]() -> std::string {
    // One after the other, never nested: no edge A -> B.
    { std::lock_guard guard(*a); }
    { std::lock_guard guard(*b); }
    // Released out of order: take C, take D, let go of C, then take A
    // while only D is held: that records D -> A, and nothing from C.
    c->lock();
    d->lock();
    c->unlock();
    { std::lock_guard guard(*a); }
    d->unlock();
    return "";
  });
  REQUIRE(outcome.has_value());
  REQUIRE(nest_on_new_thread({b, a}) == "");  // no A -> B was recorded
  REQUIRE(nest_on_new_thread({a, d}) == "D -> A -> D");
}

TEST_CASE("many threads taking mutexes in one order never get a report and still exclude each other", "[17-lock-order][req:1][req:6][stress][req:7]") {
  constexpr int kThreads = 4;
  struct Shared {
    std::array<Mutex, 3> m{make("A"), make("B"), make("C")};
    std::array<long, 3> guarded{0, 0, 0};  // guarded[i] is touched only while m[i] is held
    std::array<std::atomic<long>, 3> taken{};
    kata::FailureLog log;
  };
  auto shared = std::make_shared<Shared>();

  const bool finished = kata::finishes_within(10s, [shared] {
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&start, shared, t] {
        auto gen = kata::rng(static_cast<std::uint64_t>(t));
        start.arrive_and_wait();
        kata::stress({3000, 400ms}, [&](int) {
          // A nonempty subset of A, B, C, always taken in that order.
          const unsigned subset = 1 + static_cast<unsigned>(gen() % 7);
          std::vector<std::unique_lock<CheckedMutex>> held;
          try {
            for (int i = 0; i < 3; ++i) {
              if (subset & (1u << i)) {
                held.emplace_back(*shared->m[i]);
                ++shared->guarded[i];
                ++shared->taken[i];
                kata::random_pause(gen);
              }
            }
          } catch (const std::exception& e) {
            shared->log.add(std::string("consistent order refused: ") + e.what());
          }
          while (!held.empty()) held.pop_back();
        });
      });
    }
    for (auto& thread : threads) thread.join();
  });
  REQUIRE(finished);
  INFO(shared->log.summary());
  REQUIRE(shared->log.empty());
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    REQUIRE(shared->taken[i] > 0);
    REQUIRE(shared->guarded[i] == shared->taken[i].load());
  }
}
