// Hidden tests of 15-barrier: a reusable Barrier with a completion step and
// abort(), judged by what is observable: who is released when, the arrival
// indices, how often and on which thread the completion runs, whether every
// thread stays in the same round over hundreds of reuses, and deadlines on
// every wait.
//
// Threads that call arrive_and_wait() are detached and hold what they touch
// by shared_ptr, so a thread a broken barrier never releases is abandoned
// safely when the test fails on its deadline.
#include <catch2/catch.hpp>

#include "barrier.hpp"

#include <kata/test.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr std::size_t kBroken = 1000;  // an "index" meaning BrokenBarrier was thrown
constexpr std::size_t kOther = 2000;   // an "index" meaning something else was thrown

/// A barrier and what its threads got back, shared with those threads.
class Party {
 public:
  explicit Party(std::size_t parties, std::function<void()> completion = {})
      : barrier(parties, std::move(completion)) {}

  Barrier barrier;

  /// Starts n threads that each call arrive_and_wait() once and record the
  /// index it returned (or kBroken / kOther for what it threw).
  static void start(const std::shared_ptr<Party>& self, int n) {
    for (int i = 0; i < n; ++i) {
      std::thread([self] { self->record(self->arrive()); }).detach();
    }
  }

  /// One arrive_and_wait() on this thread, as an index or kBroken / kOther.
  std::size_t arrive() {
    try {
      return barrier.arrive_and_wait();
    } catch (const BrokenBarrier&) {
      return kBroken;
    } catch (...) {
      return kOther;
    }
  }

  bool returned_within(std::size_t n, std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return returned_cv_.wait_for(lock, limit, [&] { return results_.size() >= n; });
  }

  std::vector<std::size_t> results() const {
    std::lock_guard guard(mutex_);
    return results_;
  }

 private:
  void record(std::size_t result) {
    {
      std::lock_guard guard(mutex_);
      results_.push_back(result);
    }
    returned_cv_.notify_all();
  }

  mutable std::mutex mutex_;
  std::condition_variable returned_cv_;  // results_ grew
  std::vector<std::size_t> results_;
};

/// Not to provoke a race: to reach the state under test, every thread asleep
/// inside arrive_and_wait(), where only a notification can wake it.
void let_threads_fall_asleep() { std::this_thread::sleep_for(150ms); }

struct CompletionFailed {};

}  // namespace

TEST_CASE("a barrier of one party never waits and runs its completion every round", "[15-barrier][unit][req:1]") {
  REQUIRE_THROWS_AS(Barrier(0), std::invalid_argument);

  auto completions = std::make_shared<std::atomic<int>>(0);
  auto party = std::make_shared<Party>(1, [completions] { ++*completions; });
  REQUIRE(party->barrier.parties() == 1);
  auto indices = kata::value_within(2s, [party] {
    std::vector<std::size_t> got;
    for (int i = 0; i < 3; ++i) got.push_back(party->arrive());
    return got;
  });
  REQUIRE(indices.has_value());
  REQUIRE(*indices == std::vector<std::size_t>{0, 0, 0});
  REQUIRE(*completions == 3);
  REQUIRE_FALSE(party->barrier.broken());
}

TEST_CASE("arrive_and_wait releases everyone once the last one arrives, after the last one ran the completion", "[15-barrier][unit][req:2][req:3][req:4]") {
  // The completion records how often it ran, on which thread, whether the
  // last thread had arrived yet, and how many threads had already returned.
  struct Seen {
    std::atomic<int> runs{0};
    std::atomic<std::thread::id> runner{};
    std::atomic<bool> last_had_arrived{false};
    std::atomic<bool> last_arrived{false};
    std::atomic<std::size_t> returned_at_completion{99};
  };
  auto seen = std::make_shared<Seen>();
  auto holder = std::make_shared<std::shared_ptr<Party>>();
  auto party = std::make_shared<Party>(4, [seen, holder] {
    ++seen->runs;
    seen->runner = std::this_thread::get_id();
    seen->last_had_arrived = seen->last_arrived.load();
    if (auto p = *holder) seen->returned_at_completion = p->results().size();
  });
  *holder = party;

  // Three of four arrive: they must wait, and nothing completes yet.
  Party::start(party, 3);
  let_threads_fall_asleep();
  const bool none_returned = party->results().empty();
  const std::size_t waiting = party->barrier.waiting();
  const int early_runs = seen->runs;

  // The fourth arrives on a thread whose id we know.
  auto last = kata::value_within(2s, [party, seen] {
    seen->last_arrived = true;
    const auto index = party->arrive();
    return std::make_pair(index, std::this_thread::get_id());
  });
  const bool others_returned = party->returned_within(3, 2s);
  holder->reset();  // break the cycle party -> completion -> holder -> party

  REQUIRE(none_returned);
  REQUIRE(waiting == 3);
  REQUIRE(early_runs == 0);
  REQUIRE(last.has_value());
  REQUIRE(last->first == 3);  // the last to arrive gets parties - 1
  REQUIRE(others_returned);
  auto indices = party->results();
  std::sort(indices.begin(), indices.end());
  REQUIRE(indices == std::vector<std::size_t>{0, 1, 2});  // the others 0, 1, 2
  REQUIRE(seen->runs == 1);                               // once, not once per thread
  REQUIRE(seen->runner.load() == last->second);           // on the last thread to arrive
  REQUIRE(seen->last_had_arrived);                        // after everyone arrived
  REQUIRE(seen->returned_at_completion == 0);             // before anyone was released
  REQUIRE(party->barrier.waiting() == 0);
}

TEST_CASE("a reused barrier keeps every thread in the same round and runs the completion once per round", "[15-barrier][stress][req:3][req:4][req:5][req:8]") {
  // Each round every thread adds to that round's work counter, then arrives.
  // Once released from round r it checks that all N did round r's work (no
  // one passed through early) and that exactly r + 1 completions have run.
  // The completion checks it runs after all of round r's work.
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  struct Shared {
    std::array<std::atomic<int>, kRounds> work{};
    std::array<std::atomic<unsigned>, kRounds> index_bits{};
    std::atomic<int> completions{0};
    kata::FailureLog log;
    kata::Countdown finished{kThreads};
    std::shared_ptr<Barrier> barrier;
  };
  auto s = std::make_shared<Shared>();
  s->barrier = std::make_shared<Barrier>(kThreads, [raw = s.get()] {
    const int round = raw->completions++;
    KATA_CHECK(raw->log, round < kRounds);
    if (round < kRounds) KATA_CHECK(raw->log, raw->work[round] == kThreads);
  });
  for (int t = 0; t < kThreads; ++t) {
    std::thread([s, t] {
      auto gen = kata::rng(static_cast<std::uint64_t>(t));
      s->log.capture("worker", [&] {
        for (int round = 0; round < kRounds; ++round) {
          ++s->work[round];
          kata::random_pause(gen);
          const std::size_t index = s->barrier->arrive_and_wait();
          if (!KATA_CHECK(s->log, index < kThreads)) return;
          s->index_bits[round] |= 1u << index;
          if (!KATA_CHECK(s->log, s->work[round] == kThreads)) return;    // nobody left early
          if (!KATA_CHECK(s->log, s->completions == round + 1)) return;  // one per round
        }
      });
      // A thread that stopped early leaves the others one short every round
      // from now on: break the barrier so they stop too (if abort works).
      if (!s->log.empty()) s->barrier->abort();
      s->finished.count_down();
    }).detach();
  }
  const bool finished = s->finished.wait_for(10s);
  if (!finished) s->barrier->abort();  // release whoever is stuck, if abort works
  INFO(s->log.summary());
  REQUIRE(finished);
  REQUIRE(s->log.empty());
  REQUIRE(s->completions == kRounds);
  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    REQUIRE(s->index_bits[round] == (1u << kThreads) - 1);  // indices 0..N-1, each once
  }
}

TEST_CASE("threads that arrive while a slow completion runs count for the next round", "[15-barrier][unit][req:4][req:5]") {
  // Round 1's completion takes 150 ms. Two more threads arrive meanwhile:
  // they belong to round 2 (their indices 0 and 1, a second completion), not
  // to round 1, which already had its two.
  struct Seen {
    std::atomic<int> runs{0};
    std::atomic<bool> in_first{false};
  };
  auto seen = std::make_shared<Seen>();
  auto party = std::make_shared<Party>(2, [seen] {
    if (++seen->runs == 1) {
      seen->in_first = true;
      std::this_thread::sleep_for(150ms);
    }
  });
  Party::start(party, 2);
  REQUIRE(kata::eventually(2s, [&] { return seen->in_first.load(); }));
  Party::start(party, 2);  // while round 1's completion is still running
  const bool returned = party->returned_within(4, 2s);
  CAPTURE(party->results().size(), seen->runs.load());
  REQUIRE(returned);
  auto indices = party->results();
  std::sort(indices.begin(), indices.end());
  REQUIRE(indices == std::vector<std::size_t>{0, 0, 1, 1});  // two rounds of two
  REQUIRE(seen->runs == 2);
  REQUIRE_FALSE(party->barrier.broken());
}

TEST_CASE("abort releases every blocked waiter with BrokenBarrier", "[15-barrier][unit][req:6][req:8]") {
  auto party = std::make_shared<Party>(4);
  Party::start(party, 3);
  let_threads_fall_asleep();
  REQUIRE(party->results().empty());

  party->barrier.abort();
  const bool released = party->returned_within(3, 2s);
  CAPTURE(party->results().size());
  REQUIRE(released);
  for (auto result : party->results()) REQUIRE(result == kBroken);
  REQUIRE(party->barrier.broken());
}

TEST_CASE("after abort every later arrival fails at once", "[15-barrier][unit][req:6]") {
  auto party = std::make_shared<Party>(2);
  // One full round first: abort must break a barrier that has been used.
  Party::start(party, 1);
  auto first = kata::value_within(2s, [party] { return party->arrive(); });
  REQUIRE(first.has_value());
  REQUIRE(party->returned_within(1, 2s));
  REQUIRE_FALSE(party->barrier.broken());

  party->barrier.abort();
  REQUIRE(party->barrier.broken());
  // Alone, this arrival could never complete a round of two: it must not wait.
  for (int i = 0; i < 2; ++i) {
    auto later = kata::value_within(2s, [party] { return party->arrive(); });
    REQUIRE(later.has_value());
    REQUIRE(*later == kBroken);
  }
}

TEST_CASE("abort right after a round completed leaves that round completed", "[15-barrier][unit][req:6]") {
  // The last arrival completes the round and calls abort() at once, while the
  // two waiters it released are (almost always) still waking up. Their round
  // is over: they return their indices; only later arrivals get BrokenBarrier.
  constexpr int kTrials = 20;
  for (int trial = 0; trial < kTrials; ++trial) {
    CAPTURE(trial);
    auto party = std::make_shared<Party>(3);
    Party::start(party, 2);
    REQUIRE(kata::eventually(2s, [&] { return party->barrier.waiting() >= 2; }));
    REQUIRE(party->barrier.waiting() == 2);

    auto last = kata::value_within(2s, [party] {
      const auto index = party->arrive();
      party->barrier.abort();
      return index;
    });
    const bool returned = party->returned_within(2, 2s);
    REQUIRE(last.has_value());
    REQUIRE(*last == 2);
    REQUIRE(returned);
    auto indices = party->results();
    std::sort(indices.begin(), indices.end());
    REQUIRE(indices == std::vector<std::size_t>{0, 1});  // not BrokenBarrier: their round had completed
    REQUIRE(party->barrier.broken());
    auto later = kata::value_within(2s, [party] { return party->arrive(); });
    REQUIRE(later.has_value());
    REQUIRE(*later == kBroken);
  }
}

TEST_CASE("a completion that throws breaks the barrier", "[15-barrier][unit][req:7]") {
  auto party = std::make_shared<Party>(3, [] { throw CompletionFailed{}; });
  Party::start(party, 3);
  const bool returned = party->returned_within(3, 2s);
  CAPTURE(party->results().size());
  REQUIRE(returned);
  auto results = party->results();
  std::sort(results.begin(), results.end());
  // The last arrival gets the completion's exception, the two waiters BrokenBarrier.
  REQUIRE(results == std::vector<std::size_t>{kBroken, kBroken, kOther});
  REQUIRE(party->barrier.broken());
}
