// Hidden tests of 11-gil: a GIL simulator judged by what is observable:
// how many threads are inside bytecode at one instant (an occupancy counter
// and recorded intervals), whether I/O waits overlap, how long a waiting
// thread goes without a turn, and CPU time while threads wait.
//
// Simulated Python threads run on OS threads (PyThreads) that are joined when
// they finish and detached when a failing test gives up on them; everything
// they touch lives in a shared Sim, so an abandoned thread (a deadlocked
// mutant) never touches a dead stack frame.
#include <catch2/catch.hpp>

#include "gil.hpp"

#include <kata/test.hpp>
#include <kata/thread_test.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <future>
#include <optional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr int kMaxThreads = 8;

/// What the simulated threads of one test share. Outlives them (shared_ptr).
struct Sim {
  explicit Sim(std::chrono::microseconds interval) : gil(interval) {}

  Gil gil;
  kata::IntervalRecorder bytecode;  // one interval per bytecode body
  kata::IntervalRecorder io;        // one interval per blocking I/O body
  std::atomic<int> in_bytecode{0};       // threads inside a bytecode body now
  std::atomic<int> most_in_bytecode{0};  // the largest in_bytecode seen
  std::atomic<bool> stop{false};         // CPU-bound programs halt when set
  std::array<std::atomic<long>, kMaxThreads> ran{};  // bytecodes run, per thread
  kata::FailureLog log;

  /// The body of a bytecode of thread `t`: counts occupancy, records its
  /// interval, and stays busy for `busy` (pure computation, the GIL held).
  void run_bytecode(int t, std::chrono::microseconds busy) {
    const int now = ++in_bytecode;
    int most = most_in_bytecode.load();
    while (now > most && !most_in_bytecode.compare_exchange_weak(most, now)) {
    }
    {
      auto scope = bytecode.record("t" + std::to_string(t));
      const auto until = kata::Clock::now() + busy;
      while (kata::Clock::now() < until) {
      }
    }
    --in_bytecode;
    ++ran[t];
  }

  /// The body of a blocking call: a sleep, recorded (the GIL released).
  void run_io(int t, std::chrono::milliseconds wait) {
    auto scope = io.record("t" + std::to_string(t));
    std::this_thread::sleep_for(wait);
  }
};

Instruction bytecode(std::function<void()> body) { return {Instruction::Kind::bytecode, std::move(body)}; }
Instruction blocking_io(std::function<void()> body) { return {Instruction::Kind::blocking_io, std::move(body)}; }
Instruction halt() { return {Instruction::Kind::halt, {}}; }

/// Simulated Python threads, each on its own OS thread running interpret(), in
/// a kata::Crew. The destructor first stops CPU-bound programs, then the crew
/// joins the threads that finish within 2 s and abandons (detaches) any that
/// do not, so a hang becomes a failed assertion, never a stuck test binary.
class PyThreads {
 public:
  explicit PyThreads(std::shared_ptr<Sim> sim)
      : sim_(sim), crew_(std::shared_ptr<kata::FailureLog>(sim, &sim->log), 2s) {}
  PyThreads(const PyThreads&) = delete;
  PyThreads& operator=(const PyThreads&) = delete;
  ~PyThreads() { sim_->stop = true; }  // before ~Crew, which waits for the threads

  /// Starts a thread that runs interpret(sim.gil, fetch). `fetch` must capture
  /// only values and shared_ptrs: it may outlive the test.
  void start(std::function<Instruction()> fetch) {
    crew_.start([sim = sim_, fetch = std::move(fetch)] { interpret(sim->gil, fetch); });
  }

  /// Whether every thread's interpret() has returned within `limit`.
  bool all_done_within(std::chrono::milliseconds limit) { return crew_.all_done_within(limit); }

  bool done(std::size_t i) const { return crew_.done(i); }

 private:
  std::shared_ptr<Sim> sim_;
  kata::Crew crew_;
};

/// A program of `n` bytecodes, with a blocking I/O of `io_wait` after every
/// `io_every`-th bytecode (never when io_every is 0).
std::function<Instruction()> mixed_program(std::shared_ptr<Sim> sim, int t, int n, int io_every,
                                           std::chrono::milliseconds io_wait, std::chrono::microseconds busy) {
  auto pc = std::make_shared<int>(0);
  auto pending_io = std::make_shared<bool>(false);
  return [sim, t, n, io_every, io_wait, busy, pc, pending_io]() -> Instruction {
    if (*pending_io) {
      *pending_io = false;
      return blocking_io([sim, t, io_wait] { sim->run_io(t, io_wait); });
    }
    if (*pc == n) return halt();
    ++*pc;
    if (io_every > 0 && *pc % io_every == 0) *pending_io = true;
    return bytecode([sim, t, busy] { sim->run_bytecode(t, busy); });
  };
}

/// A CPU-bound program: bytecodes, never any I/O, until sim.stop (or `cap`
/// has passed since its first instruction).
std::function<Instruction()> cpu_bound_program(std::shared_ptr<Sim> sim, int t, std::chrono::microseconds busy,
                                               std::chrono::milliseconds cap = 4s) {
  auto started = std::make_shared<std::optional<kata::Clock::time_point>>();
  return [sim, t, busy, cap, started]() -> Instruction {
    if (!*started) *started = kata::Clock::now();
    if (sim->stop || kata::Clock::now() - **started > cap) return halt();
    return bytecode([sim, t, busy] { sim->run_bytecode(t, busy); });
  };
}

}  // namespace

TEST_CASE("acquire and release make the calling thread the holder and only that thread", "[11-gil][unit][req:1]") {
  REQUIRE_THROWS_AS(Gil(0us), std::invalid_argument);
  auto sim = std::make_shared<Sim>(5ms);
  Gil& gil = sim->gil;
  REQUIRE(gil.switch_interval() == 5ms);
  REQUIRE_FALSE(gil.held_by_this_thread());

  gil.acquire();  // free: returns at once
  REQUIRE(gil.held_by_this_thread());
  // Seen from another thread: not the holder, and not allowed to release.
  auto other = kata::value_within(5s, [sim]() -> std::string {
    if (sim->gil.held_by_this_thread()) return "another thread is told it holds the GIL";
    try {
      sim->gil.release();
      return "release() by a thread that does not hold the GIL returned normally";
    } catch (const std::logic_error&) {
      return "ok";
    }
  });
  REQUIRE(other.has_value());
  REQUIRE(*other == "ok");
  REQUIRE(gil.held_by_this_thread());
  gil.release();
  REQUIRE_FALSE(gil.held_by_this_thread());

  // Released means free: another thread takes it at once.
  auto taken = kata::value_within(5s, [sim] {
    sim->gil.acquire();
    const bool held = sim->gil.held_by_this_thread();
    sim->gil.release();
    return held;
  });
  REQUIRE(taken.has_value());
  REQUIRE(*taken);
}

TEST_CASE("a thread that released the GIL cannot release it again", "[11-gil][unit][req:1]") {
  auto sim = std::make_shared<Sim>(5ms);
  sim->gil.acquire();
  sim->gil.release();
  INFO("a second release() by the thread that already let go returned normally");
  REQUIRE_THROWS_AS(sim->gil.release(), std::logic_error);
  REQUIRE_FALSE(sim->gil.held_by_this_thread());
  // Still free for anyone.
  REQUIRE(kata::finishes_within(5s, [sim] {
    sim->gil.acquire();
    sim->gil.release();
  }));
}

TEST_CASE("release wakes a thread already waiting in acquire at once", "[11-gil][unit][req:1]") {
  // A 10 s switch interval: a waiter's own timed wake-up is 10 s away, so
  // only release()'s notification can hand it the GIL soon after.
  auto sim = std::make_shared<Sim>(10s);
  sim->gil.acquire();
  auto turn = std::make_shared<std::promise<kata::Clock::time_point>>();
  auto turn_future = turn->get_future();
  auto pc = std::make_shared<int>(0);
  PyThreads threads(sim);
  threads.start([turn, pc]() -> Instruction {  // fetch runs with the GIL held
    if ((*pc)++ > 0) return halt();
    return bytecode([turn] { turn->set_value(kata::Clock::now()); });
  });
  // The thread's interpret() blocks in acquire(): the main thread holds the
  // GIL. Not to provoke a race: to reach the state under test, the waiter
  // asleep in acquire() before the release.
  std::this_thread::sleep_for(200ms);
  const auto released = kata::Clock::now();
  sim->gil.release();
  REQUIRE(kata::ready_within(turn_future, 5s));
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(turn_future.get() - released);
  CAPTURE(waited.count());
  INFO("the waiter got the GIL only at its own timed wake-up: release() must notify a waiter");
  REQUIRE(waited < 2s);
  REQUIRE(threads.all_done_within(5s));
  INFO(sim->log.summary());
  REQUIRE(sim->log.empty());
}

TEST_CASE("interpret runs bytecode with the GIL held and blocking I/O with it released", "[11-gil][unit][req:2]") {
  auto sim = std::make_shared<Sim>(5ms);
  // What each instruction saw: whether its thread held the GIL.
  auto trace = std::make_shared<std::vector<std::string>>();
  auto trace_mutex = std::make_shared<std::mutex>();
  auto note = [sim, trace, trace_mutex](std::string what) {
    std::lock_guard guard(*trace_mutex);
    trace->push_back(what + (sim->gil.held_by_this_thread() ? " held" : " released"));
  };
  auto pc = std::make_shared<int>(0);
  auto program = [note, pc]() -> Instruction {
    switch ((*pc)++) {
      case 0: return bytecode([note] { note("bytecode 1"); });
      case 1: return blocking_io([note] { note("io"); });
      case 2: return bytecode([note] { note("bytecode 2"); });
      default: return halt();
    }
  };
  auto held_after = kata::value_within(5s, [sim, program] {
    interpret(sim->gil, program);
    return sim->gil.held_by_this_thread();
  });
  REQUIRE(held_after.has_value());
  CHECK_FALSE(*held_after);  // a finished thread must not keep the GIL

  std::lock_guard guard(*trace_mutex);
  const std::vector<std::string> expected{"bytecode 1 held", "io released", "bytecode 2 held"};
  REQUIRE(*trace == expected);
  // And the GIL is free for the next thread.
  REQUIRE(kata::finishes_within(5s, [sim] {
    sim->gil.acquire();
    sim->gil.release();
  }));
}

TEST_CASE("a lone thread with a tiny switch interval never waits for itself", "[11-gil][unit][req:8]") {
  auto sim = std::make_shared<Sim>(100us);
  PyThreads threads(sim);
  threads.start(mixed_program(sim, 0, 2000, 500, 1ms, 0us));
  REQUIRE(threads.all_done_within(5s));
  INFO(sim->log.summary());
  REQUIRE(sim->log.empty());
  REQUIRE(sim->ran[0] == 2000);
}

TEST_CASE("never two threads in bytecode at once", "[11-gil][stress][req:3][req:9]") {
  constexpr int kThreads = 4;
  constexpr int kBytecodes = 300;
  // 1 ms interval, 4 x 300 x 40 us of bytecode: dozens of forced switches,
  // and a blocking call every 50 bytecodes: dozens of voluntary ones.
  auto sim = std::make_shared<Sim>(1ms);
  {
    PyThreads threads(sim);
    for (int t = 0; t < kThreads; ++t) threads.start(mixed_program(sim, t, kBytecodes, 50, 1ms, 40us));
    REQUIRE(threads.all_done_within(5s));
  }
  INFO(sim->log.summary());
  REQUIRE(sim->log.empty());
  for (int t = 0; t < kThreads; ++t) {
    CAPTURE(t);
    REQUIRE(sim->ran[t] == kBytecodes);
  }
  // Both the occupancy counter and the recorded intervals: never two at once.
  REQUIRE(sim->most_in_bytecode == 1);
  REQUIRE(sim->bytecode.max_overlap() == 1);
  REQUIRE(sim->bytecode.thread_count() == kThreads);
}

TEST_CASE("blocking I/O releases the GIL so I/O waits of several threads overlap", "[11-gil][unit][req:4]") {
  constexpr int kThreads = 4;
  auto sim = std::make_shared<Sim>(5ms);
  {
    PyThreads threads(sim);
    for (int t = 0; t < kThreads; ++t) {
      // A bytecode, then a 150 ms blocking call.
      threads.start(mixed_program(sim, t, 1, 1, 150ms, 0us));
    }
    REQUIRE(threads.all_done_within(5s));
  }
  INFO(sim->log.summary());
  REQUIRE(sim->log.empty());
  const int io_overlap = sim->io.max_overlap();
  CAPTURE(io_overlap);
  // Four 150 ms waits that all start within a few milliseconds: with the GIL
  // released they overlap (4 here; 2 is enough to prove it). With the GIL
  // held across the call, one waits after another: overlap 1.
  REQUIRE(io_overlap >= 2);
  REQUIRE(sim->bytecode.max_overlap() == 1);
}

TEST_CASE("a CPU-bound thread that never does I/O hands the GIL over within a few switch intervals", "[11-gil][unit][req:5]") {
  auto sim = std::make_shared<Sim>(5ms);
  PyThreads threads(sim);
  // Thread 0 computes without end (until stop, or 4 s).
  threads.start(cpu_bound_program(sim, 0, 20us));
  REQUIRE(kata::eventually(5s, [&] { return sim->ran[0] > 0; }));  // it holds the GIL and is running bytecode

  // Thread 1 wants to run a single bytecode.
  auto turn = std::make_shared<std::promise<kata::Clock::time_point>>();
  auto turn_future = turn->get_future();
  const auto asked = kata::Clock::now();
  auto pc = std::make_shared<int>(0);
  threads.start([sim, turn, pc]() -> Instruction {
    if ((*pc)++ > 0) return halt();
    return bytecode([turn] { turn->set_value(kata::Clock::now()); });
  });

  // 1 s is 200 switch intervals: generous for a noisy machine. A GIL without
  // forced switching lets thread 1 in only when thread 0 ends (after 4 s).
  const bool got_turn = turn_future.wait_for(1s) == std::future_status::ready;
  const long cpu_bytecodes_at_turn = sim->ran[0];
  CAPTURE(cpu_bytecodes_at_turn);
  REQUIRE(got_turn);
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(turn_future.get() - asked);
  CAPTURE(waited.count());
  REQUIRE(waited < 1s);
  REQUIRE_FALSE(threads.done(0));  // the CPU-bound thread was still running

  // And the CPU-bound thread gets the GIL back once thread 1 has finished.
  const long before = sim->ran[0];
  REQUIRE(kata::eventually(2s, [&] { return sim->ran[0] > before; }));
  sim->stop = true;
  REQUIRE(threads.all_done_within(5s));
  INFO(sim->log.summary());
  REQUIRE(sim->log.empty());
}

TEST_CASE("no CPU-bound thread starves: each gets a turn again and again", "[11-gil][stress][timing][req:6][req:9]") {
  constexpr int kThreads = 3;
  constexpr auto kRun = 4s;
  // 1000 switch intervals of 2 ms between two turns of one thread. Measured
  // here, on 2 busy cores: at most about 150 ms. A thread starved for good
  // waits for the rest of the run; one that waits half of it is starved too.
  constexpr auto kMaxGap = 2s;
  static_assert(kMaxGap <= kRun / 2, "a gap bound near the run's length proves nothing");
  auto sim = std::make_shared<Sim>(2ms);
  std::chrono::milliseconds run_for{};
  {
    PyThreads threads(sim);
    for (int t = 0; t < kThreads; ++t) threads.start(cpu_bound_program(sim, t, 30us, kRun + 4s));
    const auto started = kata::Clock::now();
    std::this_thread::sleep_for(kRun);  // the threads compute meanwhile
    sim->stop = true;
    run_for = std::chrono::duration_cast<std::chrono::milliseconds>(kata::Clock::now() - started);
    REQUIRE(threads.all_done_within(5s));
  }
  INFO(sim->log.summary());
  REQUIRE(sim->log.empty());
  REQUIRE(sim->bytecode.max_overlap() == 1);

  // Each thread's bytecodes in time order; the longest time it went without
  // one, from the first bytecode of any thread to the last of any thread.
  const auto intervals = sim->bytecode.intervals();
  REQUIRE_FALSE(intervals.empty());
  auto first = intervals.front().start, last = intervals.front().end;
  for (const auto& i : intervals) {
    first = std::min(first, i.start);
    last = std::max(last, i.end);
  }
  for (int t = 0; t < kThreads; ++t) {
    const std::string label = "t" + std::to_string(t);
    std::vector<kata::Clock::time_point> starts;
    for (const auto& i : intervals) {
      if (i.label == label) starts.push_back(i.start);
    }
    std::sort(starts.begin(), starts.end());
    starts.insert(starts.begin(), first);
    starts.push_back(last);
    kata::Clock::duration longest{};
    for (std::size_t k = 1; k < starts.size(); ++k) longest = std::max(longest, starts[k] - starts[k - 1]);
    const auto longest_ms = std::chrono::duration_cast<std::chrono::milliseconds>(longest).count();
    CAPTURE(t, sim->ran[t].load(), longest_ms, run_for.count());
    REQUIRE(sim->ran[t] > 0);
    REQUIRE(longest < kMaxGap);
  }
}

TEST_CASE("threads waiting for the GIL sleep instead of spinning", "[11-gil][unit][timing][req:7]") {
  constexpr int kWaiters = 3;
  auto sim = std::make_shared<Sim>(5ms);
  auto entered = std::make_shared<std::promise<void>>();
  auto entered_future = entered->get_future();
  auto leave = std::make_shared<kata::Gate>();
  PyThreads threads(sim);

  // Thread 0 runs one long bytecode (a C call that keeps the GIL): no thread
  // can run until it ends, however often they ask.
  auto pc = std::make_shared<int>(0);
  threads.start([entered, leave, pc]() -> Instruction {
    if ((*pc)++ > 0) return halt();
    return bytecode([entered, leave] {
      entered->set_value();
      leave->pass();
    });
  });
  REQUIRE(kata::ready_within(entered_future, 5s));
  for (int t = 1; t <= kWaiters; ++t) threads.start(mixed_program(sim, t, 1, 0, 0ms, 0us));
  // Not to provoke a race: to reach the state under test, every waiter
  // blocked in acquire().
  std::this_thread::sleep_for(50ms);

  kata::CpuMeter meter;
  std::this_thread::sleep_for(300ms);
  const double load = meter.load();
  leave->open();
  REQUIRE(threads.all_done_within(5s));
  INFO(sim->log.summary());
  REQUIRE(sim->log.empty());
  CAPTURE(load);
  // Blocked waiters wake once per switch interval, which costs next to
  // nothing; a waiter that polls burns up to a core.
  REQUIRE(load < 0.2);
  for (int t = 1; t <= kWaiters; ++t) REQUIRE(sim->ran[t] == 1);
}

TEST_CASE("interpret lets go of the GIL when an instruction or fetch throws", "[11-gil][unit][req:2]") {
  auto sim = std::make_shared<Sim>(5ms);
  auto pc = std::make_shared<int>(0);
  std::function<Instruction()> program;
  SECTION("a bytecode throws") {
    program = [pc]() -> Instruction {
      if ((*pc)++ == 0) return bytecode([] {});
      return bytecode([] { throw std::runtime_error("raised in bytecode"); });
    };
  }
  SECTION("a blocking call throws") {
    program = [pc]() -> Instruction {
      if ((*pc)++ == 0) return bytecode([] {});
      return blocking_io([] { throw std::runtime_error("raised in blocking I/O"); });
    };
  }
  SECTION("fetch throws") {
    program = [pc]() -> Instruction {
      if ((*pc)++ == 0) return bytecode([] {});
      throw std::runtime_error("raised in fetch");
    };
  }
  // What the thread saw: the exception's message, then whether it still held the GIL.
  auto outcome = kata::value_within(5s, [sim, program]() -> std::string {
    std::string what = "no exception";
    try {
      interpret(sim->gil, program);
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
    return what + (sim->gil.held_by_this_thread() ? ", GIL held" : ", GIL released");
  });
  REQUIRE(outcome.has_value());
  CHECK_THAT(*outcome, Catch::StartsWith("raised in "));
  INFO("an exception that leaves interpret() with the GIL held blocks every other thread for ever");
  REQUIRE_THAT(*outcome, Catch::EndsWith(", GIL released"));
  REQUIRE(kata::finishes_within(5s, [sim] {
    sim->gil.acquire();
    sim->gil.release();
  }));
}
