// Hidden tests of 05-ipc-shared-memory: a counter and a ring buffer shared by
// forked processes. The test process stays single-threaded (it forks), so
// nothing here uses kata::finishes_within; instead every child is reaped with a
// deadline (reap_within), and a call that might hang runs in a child that is
// killed when its deadline passes: a fork watchdog turns a hang into a verdict.
// Children report through their exit codes and a small anonymous shared
// mapping of the test's own (kata::SharedScratch), and always end with _exit, so they never
// run the destructor of an object the parent owns.
#include <catch2/catch.hpp>

#include "shared_memory.hpp"

#include <kata/process_test.hpp>
#include <kata/test.hpp>

#include <boost/interprocess/shared_memory_object.hpp>

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace bip = boost::interprocess;

namespace {

/// Exit codes of a child.
constexpr int kChildOk = 0;
constexpr int kChildThrew = 101;        // fn threw something
constexpr int kChildReturnedBad = 102;  // fn returned false

/// Forks a child that runs fn() and _exits with kChildOk when it returns true.
/// Only a single-threaded process may fork (this test process is one).
pid_t spawn(const std::function<bool()>& fn) {
  return kata::fork_child([&fn] { return fn() ? kChildOk : kChildReturnedBad; }, kChildThrew);
}

/// Kills and reaps the children still listed when it goes out of scope, so a
/// failed REQUIRE never leaves one running.
class Children {
 public:
  ~Children() {
    for (pid_t pid : pids_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  pid_t add(pid_t pid) {
    pids_.push_back(pid);
    return pid;
  }
  kata::ChildEnd reap(pid_t pid, std::chrono::milliseconds limit) {
    std::erase(pids_, pid);
    return kata::reap_within(pid, limit);
  }

 private:
  std::vector<pid_t> pids_;
};

/// True when a shared-memory object called `name` exists.
bool segment_exists(const std::string& name) {
  try {
    bip::shared_memory_object probe(bip::open_only, name.c_str(), bip::read_only);
    return true;
  } catch (const bip::interprocess_exception&) {
    return false;
  }
}

}  // namespace

TEST_CASE("a counter created by one process is seen by another that opens it by name", "[05-ipc-shared-memory][unit][req:1][req:5]") {
  const std::string name = kata::ipc_name("counter");
  Children children;
  {
    shm::SharedCounter counter(bip::create_only, name);
    REQUIRE(counter.owner());
    REQUIRE(counter.value() == 0);

    // The child maps the segment afresh, by name, as an unrelated process would.
    const pid_t child = children.add(spawn([&name] {
      shm::SharedCounter mine(bip::open_only, name);
      if (mine.owner() || mine.value() != 0) return false;
      for (int i = 0; i < 5; ++i) mine.increment();
      return true;
    }));
    const kata::ChildEnd end = children.reap(child, 5s);
    INFO("the child " << end.describe());
    REQUIRE(end.exited_with(kChildOk));
    REQUIRE(counter.value() == 5);

    counter.update([](std::int64_t& v) { v *= 10; });
    REQUIRE(counter.value() == 50);
  }
  INFO("the owner's destructor must remove the segment");
  REQUIRE_FALSE(segment_exists(name));
}

TEST_CASE("processes incrementing one counter at the same time lose no update", "[05-ipc-shared-memory][stress][req:2]") {
  constexpr int kChildren = 4;
  const auto budget = 300ms;  // each child increments this long: long enough to overlap on any load
  struct Board {
    std::atomic<int> go{0};
    std::atomic<std::int64_t> done[kChildren];
  };
  kata::SharedScratch<Board> board;
  const std::string name = kata::ipc_name("counter");
  Children children;
  shm::SharedCounter counter(bip::create_only, name);

  std::vector<pid_t> pids;
  for (int c = 0; c < kChildren; ++c) {
    // Half the children use the mapping inherited through fork(), half open
    // the segment by name: both are the same memory.
    pids.push_back(children.add(spawn([&, c] {
      std::optional<shm::SharedCounter> opened;
      shm::SharedCounter* use = &counter;
      if (c % 2 == 1) use = &opened.emplace(bip::open_only, name);
      while (board->go.load() == 0) std::this_thread::yield();
      const auto deadline = kata::Clock::now() + budget;
      std::int64_t mine = 0;
      while (kata::Clock::now() < deadline) {
        for (int i = 0; i < 64; ++i) use->increment();
        mine += 64;
      }
      board->done[c] = mine;
      return true;
    })));
  }
  board->go = 1;  // all start together
  std::int64_t expected = 0;
  for (int c = 0; c < kChildren; ++c) {
    const kata::ChildEnd end = children.reap(pids[static_cast<std::size_t>(c)], 10s);
    INFO("child " << c << " " << end.describe());
    REQUIRE(end.exited_with(kChildOk));
    expected += board->done[c];
  }
  const std::int64_t total = counter.value();
  INFO(kChildren << " processes made " << expected << " increments; the counter says " << total
                 << (total < expected ? " (updates were lost: increment is read-add-write, lock it)" : ""));
  REQUIRE(total == expected);
}

TEST_CASE("the segment is removed by its owner's destructor and by no one else", "[05-ipc-shared-memory][unit][req:1][req:5]") {
  const std::string name = kata::ipc_name("counter");
  {
    shm::SharedCounter owner(bip::create_only, name);
    owner.increment();

    {
      // A second creator must fail, and must not take the name away.
      REQUIRE_THROWS_AS(shm::SharedCounter(bip::create_only, name), bip::interprocess_exception);
      INFO("a failed create_only removed the segment another object owns");
      REQUIRE(segment_exists(name));
    }
    {
      shm::SharedCounter user(bip::open_only, name);
      REQUIRE_FALSE(user.owner());
      user.increment();
    }
    INFO("a handle made with open_only removed the segment when it was destroyed");
    REQUIRE(segment_exists(name));
    shm::SharedCounter again(bip::open_only, name);
    REQUIRE(again.value() == 2);
  }
  INFO("the segment is still in /dev/shm after its owner was destroyed");
  REQUIRE_FALSE(segment_exists(name));
  REQUIRE_THROWS_AS(shm::SharedCounter(bip::open_only, name), bip::interprocess_exception);
}

TEST_CASE("an exception thrown inside update releases the lock", "[05-ipc-shared-memory][unit][req:3]") {
  const std::string name = kata::ipc_name("counter");
  Children children;
  shm::SharedCounter counter(bip::create_only, name);
  REQUIRE_THROWS_AS(counter.update([](std::int64_t& v) {
                      v = 7;
                      throw std::runtime_error("fn failed");
                    }),
                    std::runtime_error);
  // A child tries the lock: if update left it locked, the child hangs and
  // its deadline tells.
  const kata::ChildEnd end = children.reap(children.add(spawn([&counter] {
                                       counter.increment();
                                       return true;
                                     })),
                                     3s);
  INFO("increment after a throwing update: the child " << end.describe() << " (was the lock left locked?)");
  REQUIRE(end.exited_with(kChildOk));
  REQUIRE(counter.value() == 8);
}

TEST_CASE("a process killed while holding the lock does not hang the others", "[05-ipc-shared-memory][unit][req:4][req:5]") {
  struct Board {
    std::atomic<int> holding{0};
  };
  kata::SharedScratch<Board> board;
  const std::string name = kata::ipc_name("counter");
  Children children;
  {
    shm::SharedCounter counter(bip::create_only, name);
    counter.increment();

    // The victim takes the lock and stays inside update() until it is killed.
    const pid_t victim = children.add(spawn([&] {
      counter.update([&](std::int64_t& v) {
        v += 1;
        board->holding = 1;
        for (;;) ::pause();
      });
      return true;
    }));
    REQUIRE(kata::eventually(5s, [&] { return board->holding.load() != 0; }));
    ::kill(victim, SIGKILL);
    const kata::ChildEnd victim_end = children.reap(victim, 5s);
    REQUIRE(victim_end.signal == SIGKILL);

    // Another process now wants the lock. It must get an error at once (the
    // robust mutex's lock_exception), not wait forever for a dead owner.
    const kata::ChildEnd next = children.reap(children.add(spawn([&counter] {
                                          try {
                                            counter.increment();
                                          } catch (const std::exception&) {
                                            return true;  // told that the owner died
                                          }
                                          return false;  // carried on as if nothing happened
                                        })),
                                        3s);
    INFO("increment after the lock's holder was killed: the child " << next.describe()
                                                                   << " (it should throw, e.g. lock_exception)");
    REQUIRE(next.exited_with(kChildOk));
    REQUIRE_THROWS(counter.increment());
  }
  INFO("the owner must remove the segment even when a user crashed");
  REQUIRE_FALSE(segment_exists(name));
}

TEST_CASE("the ring keeps FIFO order, and push and pop give up at their timeouts", "[05-ipc-shared-memory][unit][req:6]") {
  const std::string name = kata::ipc_name("ring");
  {
    REQUIRE_THROWS_AS(shm::SharedRing(bip::create_only, name, 0), std::invalid_argument);
    REQUIRE_FALSE(segment_exists(name));

    shm::SharedRing ring(bip::create_only, name, 4);
    REQUIRE(ring.capacity() == 4);
    for (int round = 0; round < 3; ++round) {  // wraps around the slots
      for (std::int64_t v = 0; v < 4; ++v) REQUIRE(ring.push(round * 10 + v, 1s));
      REQUIRE(ring.size() == 4);

      const auto start = kata::Clock::now();
      REQUIRE_FALSE(ring.push(99, 100ms));  // full
      const auto waited = kata::Clock::now() - start;
      CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count());
      REQUIRE(waited >= 90ms);
      REQUIRE(waited < 2s);

      for (std::int64_t v = 0; v < 4; ++v) {
        const auto got = ring.pop(1s);
        REQUIRE(got.has_value());
        REQUIRE(*got == round * 10 + v);
      }
      const auto empty_start = kata::Clock::now();
      REQUIRE_FALSE(ring.pop(100ms).has_value());
      const auto empty_waited = kata::Clock::now() - empty_start;
      REQUIRE(empty_waited >= 90ms);
      REQUIRE(empty_waited < 2s);
      REQUIRE(ring.size() == 0);
    }
  }
  REQUIRE_FALSE(segment_exists(name));
}

TEST_CASE("a second ring created under the same name fails and leaves the first one alone", "[05-ipc-shared-memory][unit][req:6]") {
  const std::string name = kata::ipc_name("ring");
  {
    shm::SharedRing ring(bip::create_only, name, 4);
    REQUIRE(ring.push(11, 1s));
    REQUIRE(ring.push(12, 1s));
    // A creator that removes an existing name first ("a stale segment")
    // takes the ring away from the processes using it: create_only fails.
    REQUIRE_THROWS_AS(shm::SharedRing(bip::create_only, name, 4), bip::interprocess_exception);
    INFO("a failed create_only removed or replaced the ring another object owns");
    REQUIRE(segment_exists(name));
    shm::SharedRing user(bip::open_only, name);
    REQUIRE_FALSE(user.owner());
    REQUIRE(user.size() == 2);
    REQUIRE(user.pop(1s) == std::optional<std::int64_t>(11));
    REQUIRE(ring.pop(1s) == std::optional<std::int64_t>(12));
  }
  REQUIRE_FALSE(segment_exists(name));
}

TEST_CASE("a blocked push sleeps until another process pops", "[05-ipc-shared-memory][unit][timing][req:6][req:8]") {
  const std::string name = kata::ipc_name("ring");
  Children children;
  shm::SharedRing ring(bip::create_only, name, 1);
  REQUIRE(ring.push(1, 1s));  // full
  const pid_t consumer = children.add(spawn([&name] {
    shm::SharedRing mine(bip::open_only, name);
    std::this_thread::sleep_for(500ms);
    return mine.pop(2s) == std::optional<std::int64_t>(1);
  }));
  kata::CpuMeter meter;
  const bool pushed = ring.push(2, 5s);
  const double load = meter.load();
  const auto waited = meter.wall();
  const kata::ChildEnd end = children.reap(consumer, 5s);
  INFO("the consumer " << end.describe());
  REQUIRE(end.exited_with(kChildOk));
  REQUIRE(pushed);
  REQUIRE(waited >= 400ms);
  REQUIRE(waited < 3s);
  REQUIRE(ring.pop(1s) == std::optional<std::int64_t>(2));
  CAPTURE(load);
  INFO("push should sleep on the condition variable while the ring is full, not poll it");
  REQUIRE(load < 0.05);
}

TEST_CASE("a blocked pop sleeps until another process pushes", "[05-ipc-shared-memory][unit][timing][req:8]") {
  const std::string name = kata::ipc_name("ring");
  Children children;
  shm::SharedRing ring(bip::create_only, name, 2);
  const pid_t producer = children.add(spawn([&name] {
    shm::SharedRing mine(bip::open_only, name);
    std::this_thread::sleep_for(500ms);
    return mine.push(42, 2s);
  }));
  kata::CpuMeter meter;
  const auto got = ring.pop(5s);
  const double load = meter.load();
  const auto waited = meter.wall();
  const kata::ChildEnd end = children.reap(producer, 5s);
  INFO("the producer " << end.describe());
  REQUIRE(end.exited_with(kChildOk));
  REQUIRE(got.has_value());
  REQUIRE(*got == 42);
  REQUIRE(waited >= 400ms);
  REQUIRE(waited < 3s);
  CAPTURE(load);
  // A waiting pop uses microseconds of CPU. A polling one uses all the CPU
  // it is given: a whole core when the machine is idle, still a good
  // fraction of one on a loaded machine, where this bound must also hold.
  INFO("pop should sleep on the condition variable, not poll the ring");
  REQUIRE(load < 0.05);
}

TEST_CASE("producer and consumer processes pass every value exactly once and in order", "[05-ipc-shared-memory][stress][req:7]") {
  constexpr int kProducers = 2;
  constexpr std::int64_t kPerProducer = 20000;
  struct Board {
    std::atomic<int> go{0};
  };
  kata::SharedScratch<Board> board;
  const std::string name = kata::ipc_name("ring");
  Children children;
  shm::SharedRing ring(bip::create_only, name, 8);  // small: producers often find it full

  std::vector<pid_t> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.push_back(children.add(spawn([&, p] {
      shm::SharedRing mine(bip::open_only, name);
      while (board->go.load() == 0) std::this_thread::yield();
      for (std::int64_t i = 0; i < kPerProducer; ++i) {
        if (!mine.push(p * kPerProducer + i, 3s)) return false;  // a value refused: the consumer stalled
      }
      return true;
    })));
  }
  board->go = 1;

  // The parent consumes: values of each producer must come in that
  // producer's order, each exactly once.
  std::vector<std::int64_t> next(kProducers, 0);
  std::int64_t received = 0, out_of_place = 0;
  while (received < kProducers * kPerProducer) {
    const auto v = ring.pop(3s);
    if (!v) break;
    ++received;
    const auto p = static_cast<std::size_t>(*v / kPerProducer);
    if (p >= next.size() || *v % kPerProducer != next[p]) {
      ++out_of_place;
      if (p < next.size()) next[p] = *v % kPerProducer + 1;
    } else {
      ++next[p];
    }
  }
  for (int p = 0; p < kProducers; ++p) {
    const kata::ChildEnd end = children.reap(producers[static_cast<std::size_t>(p)], 10s);
    INFO("producer " << p << " " << end.describe() << " (code 102: a push timed out)");
    REQUIRE(end.exited_with(kChildOk));
  }
  INFO("received " << received << " of " << kProducers * kPerProducer << ", " << out_of_place
                   << " out of place (lost, duplicated or reordered)");
  REQUIRE(out_of_place == 0);
  REQUIRE(received == kProducers * kPerProducer);
  REQUIRE_FALSE(ring.pop(10ms).has_value());
}
