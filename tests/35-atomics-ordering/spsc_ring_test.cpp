// Hidden tests of 35-atomics-ordering: a single-producer single-consumer ring
// buffer on atomics. Single-threaded tests pin down the edges (empty, full,
// capacity 1, wrap-around) against a std::deque; a producer and a consumer
// thread then move up to a million values through small rings, checking order
// and loss on the consumer side. Under ThreadSanitizer that run also proves
// the orderings: a counter stored or loaded relaxed where acquire/release is
// needed leaves the slots' plain ints unordered, and TSan reports the race.
// The layout test reads the counters' addresses through head_address() and
// tail_address().
#include <catch2/catch.hpp>

#include "spsc_ring.hpp"

#include <kata/test.hpp>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>

using namespace std::chrono_literals;

namespace {

constexpr int kUntouched = -12345;  // what `out` holds before a try_pop that must not write it

/// Fills a fresh ring to the brim with 100, 101, ...; returns how many
/// try_push calls succeeded before the first failure (at most capacity + 1
/// tries).
std::size_t fill(SpscRing& ring) {
  std::size_t pushed = 0;
  while (pushed <= ring.capacity() && ring.try_push(100 + static_cast<int>(pushed))) ++pushed;
  return pushed;
}

/// What a producer and a consumer thread did with one ring.
struct Transfer {
  long sent = 0;              // values the producer pushed (0, 1, 2, ...), the end mark not counted
  long received = 0;          // values the consumer popped, the end mark not counted
  long out_of_order = 0;      // values that were not the next one expected
  long first_bad = -1;        // the first wrong value seen, with...
  long expected_at_bad = -1;  // ...the value that was due there
};

/// One producer pushes 0, 1, 2, ... until `count` values or `budget` is used
/// up, then the end mark -1; one consumer pops until it sees the end mark.
/// Both spin with yield() on a full or empty ring. The threads share nothing
/// but the ring (each keeps its own counts), so no other synchronization
/// can hide a missing acquire/release from ThreadSanitizer.
std::optional<Transfer> transfer(std::size_t capacity, long count, std::chrono::milliseconds budget) {
  return kata::value_within(15s, [capacity, count, budget] {
    auto ring = std::make_shared<SpscRing>(capacity);
    Transfer t;
    long sent = 0;
    std::thread producer([&ring, &sent, count, budget] {
      const auto deadline = kata::Clock::now() + budget;
      long i = 0;
      for (; i < count; ++i) {
        while (!ring->try_push(static_cast<int>(i))) std::this_thread::yield();
        if ((i & 1023) == 0 && kata::Clock::now() > deadline) {
          ++i;
          break;
        }
      }
      sent = i;
      while (!ring->try_push(-1)) std::this_thread::yield();
    });
    long next = 0;
    for (;;) {
      int v = 0;
      if (!ring->try_pop(v)) {
        std::this_thread::yield();
        continue;
      }
      if (v == -1) break;
      if (v != next && t.first_bad < 0) {
        t.first_bad = v;
        t.expected_at_bad = next;
      }
      if (v != next) ++t.out_of_order;
      // Resynchronise on what arrived, so one lost value counts once.
      next = static_cast<long>(v) + 1;
      ++t.received;
    }
    producer.join();
    t.sent = sent;
    return t;
  });
}

}  // namespace

// R1
TEST_CASE("capacity() is exactly the capacity asked for", "[35-atomics-ordering][unit][req:1]") {
  const std::size_t capacity = GENERATE(1, 2, 3, 7, 8, 1000);
  CAPTURE(capacity);
  SpscRing ring(capacity);
  CHECK(ring.capacity() == capacity);
  CHECK(fill(ring) == capacity);
}

// R1
TEST_CASE("a ring of capacity 0 is refused with std::invalid_argument", "[35-atomics-ordering][unit][req:1]") {
  CHECK_THROWS_AS(SpscRing(0), std::invalid_argument);
}

// R2
TEST_CASE("try_pop on an empty ring returns false and leaves its argument alone", "[35-atomics-ordering][unit][req:2]") {
  SpscRing ring(4);
  int out = kUntouched;
  CHECK_FALSE(ring.try_pop(out));
  CHECK(out == kUntouched);

  SECTION("also once the ring has been emptied again") {
    REQUIRE(ring.try_push(7));
    REQUIRE(ring.try_push(8));
    REQUIRE(ring.try_pop(out));
    REQUIRE(ring.try_pop(out));
    CHECK(out == 8);
    out = kUntouched;
    CHECK_FALSE(ring.try_pop(out));
    CHECK(out == kUntouched);
  }
}

// R3
TEST_CASE("try_push on a full ring returns false and changes nothing", "[35-atomics-ordering][unit][req:3]") {
  const std::size_t capacity = GENERATE(1, 3, 8);
  CAPTURE(capacity);
  SpscRing ring(capacity);
  REQUIRE(fill(ring) == capacity);
  CHECK_FALSE(ring.try_push(-7));
  CHECK_FALSE(ring.try_push(-8));

  // Every value pushed before is still there, in order, and nothing else.
  for (std::size_t i = 0; i < capacity; ++i) {
    int out = kUntouched;
    REQUIRE(ring.try_pop(out));
    CHECK(out == 100 + static_cast<int>(i));
  }
  int out = kUntouched;
  CHECK_FALSE(ring.try_pop(out));
}

// R3
TEST_CASE("one pop from a full ring makes room for exactly one push", "[35-atomics-ordering][unit][req:3]") {
  SpscRing ring(5);
  REQUIRE(fill(ring) == 5);
  int out = 0;
  REQUIRE(ring.try_pop(out));
  CHECK(out == 100);
  CHECK(ring.try_push(200));
  CHECK_FALSE(ring.try_push(201));
  for (int expected : {101, 102, 103, 104, 200}) {
    REQUIRE(ring.try_pop(out));
    CHECK(out == expected);
  }
  CHECK_FALSE(ring.try_pop(out));
}

// R4
TEST_CASE("a ring of capacity 1 holds one value at a time", "[35-atomics-ordering][unit][req:4]") {
  SpscRing ring(1);
  for (int round = 0; round < 1000; ++round) {
    CAPTURE(round);
    int out = kUntouched;
    REQUIRE_FALSE(ring.try_pop(out));
    REQUIRE(ring.try_push(round));
    REQUIRE_FALSE(ring.try_push(round + 1000000));
    REQUIRE(ring.try_pop(out));
    REQUIRE(out == round);
  }
}

// R5
TEST_CASE("values keep their order while the counters wrap around the ring many times", "[35-atomics-ordering][unit][req:5]") {
  // A capacity that is not a power of two too: the slot is the count modulo
  // capacity, whatever the capacity.
  const std::size_t capacity = GENERATE(2, 3, 5, 16);
  CAPTURE(capacity);
  SpscRing ring(capacity);
  std::deque<int> model;
  auto gen = kata::rng(capacity);
  int next = 0;
  for (int step = 0; step < 200000; ++step) {
    // Lean towards pushes for a while, then towards pops, so the ring goes
    // from empty to full and back again and again.
    const bool push_phase = (step / 97) % 2 == 0;
    const bool push = push_phase ? gen() % 4 != 0 : gen() % 4 == 0;
    if (push) {
      const bool room = model.size() < capacity;
      const bool pushed = ring.try_push(next);
      if (pushed != room) {
        CAPTURE(step, model.size());
        REQUIRE(pushed == room);
      }
      if (pushed) model.push_back(next++);
    } else {
      int out = kUntouched;
      const bool popped = ring.try_pop(out);
      if (popped != !model.empty() || (popped && out != model.front())) {
        CAPTURE(step, model.size(), out);
        REQUIRE(popped == !model.empty());
        REQUIRE(out == model.front());
      }
      if (popped) model.pop_front();
    }
  }
  // Many laps: every slot was reused thousands of times.
  CHECK(next > static_cast<int>(capacity) * 1000);
}

// R6
TEST_CASE("a producer and a consumer thread move values in order without loss or duplication",
          "[35-atomics-ordering][stress][req:6]") {
  // Small rings wrap (and run full and empty) all the time; capacity 1 hands
  // over every single value.
  const std::size_t capacity = GENERATE(1, 16, 1000);
  CAPTURE(capacity, kata::seed());
  const auto t = transfer(capacity, 1000000, 1500ms);
  REQUIRE(t.has_value());
  INFO("sent " << t->sent << ", received " << t->received << ", out of order " << t->out_of_order
               << ", first wrong value " << t->first_bad << " where " << t->expected_at_bad << " was due");
  CHECK(t->sent > 0);
  CHECK(t->out_of_order == 0);
  CHECK(t->received == t->sent);
}

// R7
TEST_CASE("head and tail sit on different cache lines", "[35-atomics-ordering][unit][req:7]") {
  const auto line = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p) / SpscRing::kCacheLine; };
  const auto check_layout = [&](const SpscRing& ring) {
    const auto head = reinterpret_cast<std::uintptr_t>(ring.head_address());
    const auto tail = reinterpret_cast<std::uintptr_t>(ring.tail_address());
    CAPTURE(head, tail);
    CHECK(SpscRing::kCacheLine >= 64);
    CHECK(line(ring.head_address()) != line(ring.tail_address()));
    // Far enough apart that a line of 64 bytes cannot hold both, wherever it starts.
    CHECK((head > tail ? head - tail : tail - head) >= SpscRing::kCacheLine);
  };
  SECTION("in a ring on the stack") {
    SpscRing ring(8);
    check_layout(ring);
  }
  SECTION("in a ring on the heap") {
    auto ring = std::make_unique<SpscRing>(8);
    check_layout(*ring);
  }
}
