// Hidden tests for 16-deadlock: Bank (transfers) and Table (dining philosophers).
//
// A deadlock is caught by a watchdog: every call that may block runs inside
// kata::finishes_within or kata::value_within, and worker threads run in a
// kata::Crew waited for with one deadline, so a hang becomes a failed test
// after kDeadline. What the workers touch lives in a shared_ptr they hold, so
// threads left behind by a deadlock never touch freed memory after the test.
// Lost money is caught by bookkeeping: each worker counts what it moved and
// the main thread checks every balance and the total against those counts.
#include <catch2/catch.hpp>

#include <atomic>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "deadlock.hpp"
#include "kata/test.hpp"
#include "kata/thread_test.hpp"

using namespace std::chrono_literals;

namespace {

// Generous: the solution's stress runs end within kBudget; only a hang lasts longer.
// The bank's workers run for the whole budget, as fast as they can: the more
// often two transfers collide, the surer a wrong lock order is to deadlock.
constexpr auto kDeadline = 5s;
constexpr kata::StressLimits kBudget{1'000'000, 300ms};
// An opening balance no worker can exhaust within kBudget (at most 10 per transfer).
constexpr long kRich = 100'000'000;
constexpr const char* kHang = "the threads were still running after the 5 s watchdog deadline: a deadlock?";
constexpr const char* kStuck = "a call was still running after 5 s: a lock left taken, or one mutex locked twice?";

/// What fn() returns, computed on a watchdog thread (what it throws is
/// rethrown); fails the test if it has not returned after kDeadline. Even one
/// thread hangs when a lock was left taken, say by a throw between lock() and
/// unlock(). fn must capture by value (a shared_ptr) what it uses.
template <class Fn>
auto within_deadline(Fn fn) {
  auto result = kata::value_within(kDeadline, std::move(fn));
  if (!result) FAIL(kStuck);
  return std::move(*result);
}

/// Runs fn() on a watchdog thread (rethrowing what it throws); fails the test
/// if it has not returned after kDeadline.
void done_within_deadline(std::function<void()> fn) {
  if (!kata::finishes_within(kDeadline, std::move(fn))) FAIL(kStuck);
}

/// What a group of workers shares: the object under test, a failure log, and
/// one counter per slot (money moved into an account, meals eaten by a seat).
template <class Subject>
struct Shared {
  template <class Arg>
  Shared(Arg&& arg, std::size_t slots) : subject(std::forward<Arg>(arg)), counts(slots) {}
  Subject subject;
  std::shared_ptr<kata::FailureLog> log = std::make_shared<kata::FailureLog>();
  std::vector<std::atomic<long>> counts;
};

/// Runs work(shared, i) on `threads` threads of a kata::Crew, started together
/// by a latch, and waits at most kDeadline for all of them. False: they hung.
template <class Subject, class Work>
bool workers_finish(std::shared_ptr<Shared<Subject>> shared, int threads, Work work) {
  kata::Crew crew(shared->log);
  auto start = std::make_shared<std::latch>(threads);
  for (int i = 0; i < threads; ++i) {
    crew.start([shared, start, work, i] {
      start->arrive_and_wait();
      work(*shared, i);
    });
  }
  return crew.all_done_within(kDeadline);
}

/// The balances as the bank reports them, one account at a time.
std::vector<long> balances(const Bank& bank) {
  std::vector<long> result;
  for (std::size_t i = 0; i < bank.size(); ++i) result.push_back(bank.balance(i));
  return result;
}

/// Each account's opening balance plus the net amount the workers moved into it.
std::vector<long> expected_balances(const std::vector<long>& opening, const std::vector<std::atomic<long>>& moved_in) {
  std::vector<long> result;
  for (std::size_t i = 0; i < opening.size(); ++i) result.push_back(opening[i] + moved_in[i].load());
  return result;
}

/// A table whose forks each record when a philosopher holds them.
struct RecordedTable {
  explicit RecordedTable(std::size_t seats) : table(seats), forks(seats) {}
  Table table;
  std::vector<kata::IntervalRecorder> forks;
};

/// A table where two philosophers wait, while eating, to meet each other.
struct MeetingTable {
  explicit MeetingTable(std::size_t seats) : table(seats) {}
  Table table;
  kata::Meeting meeting{2};
};

/// A stress pattern of transfers: worker i moves money from routes[i].first
/// to routes[i].second for the whole budget.
struct TransferPattern {
  const char* name;
  std::vector<long> opening;
  std::vector<std::pair<std::size_t, std::size_t>> routes;
};

}  // namespace

// ===================================================================== Bank

TEST_CASE("a new bank holds the balances it was given and no other account", "[16-deadlock][unit][req:1]") {
  CHECK_THROWS_AS(Bank({10, -1}), std::invalid_argument);
  auto bank = std::make_shared<Bank>(std::vector<long>{100, 0, 250});
  REQUIRE(bank->size() == 3);
  CHECK(within_deadline([bank] { return balances(*bank); }) == std::vector<long>{100, 0, 250});
  CHECK(within_deadline([bank] { return bank->total(); }) == 350);
  CHECK_THROWS_AS(within_deadline([bank] { return bank->balance(3); }), std::out_of_range);
}

TEST_CASE("transfer moves the amount from one account to the other", "[16-deadlock][unit][req:1]") {
  auto bank = std::make_shared<Bank>(std::vector<long>{100, 50, 7});
  done_within_deadline([bank] {
    bank->transfer(0, 1, 30);
    bank->transfer(1, 2, 80);
    bank->transfer(2, 0, 87);
  });
  CHECK(within_deadline([bank] { return balances(*bank); }) == std::vector<long>{157, 0, 0});
  CHECK(within_deadline([bank] { return bank->total(); }) == 157);
}

TEST_CASE("transfer rejects bad arguments and then changes nothing", "[16-deadlock][unit][req:1]") {
  auto bank = std::make_shared<Bank>(std::vector<long>{100, 50});
  SECTION("an unknown account") {
    CHECK_THROWS_AS(done_within_deadline([bank] { bank->transfer(2, 0, 1); }), std::out_of_range);
    CHECK_THROWS_AS(done_within_deadline([bank] { bank->transfer(0, 2, 1); }), std::out_of_range);
  }
  SECTION("an amount that is not positive") {
    CHECK_THROWS_AS(done_within_deadline([bank] { bank->transfer(0, 1, 0); }), std::invalid_argument);
    CHECK_THROWS_AS(done_within_deadline([bank] { bank->transfer(0, 1, -5); }), std::invalid_argument);
  }
  SECTION("more than the source account holds") {
    CHECK_THROWS_AS(done_within_deadline([bank] { bank->transfer(1, 0, 51); }), InsufficientFunds);
  }
  CHECK(within_deadline([bank] { return balances(*bank); }) == std::vector<long>{100, 50});
}

TEST_CASE("a transfer from an account to itself moves nothing and does not deadlock", "[16-deadlock][unit][req:2]") {
  auto bank = std::make_shared<Bank>(std::vector<long>{40, 60});
  // A second lock of the same boost::mutex by its holder waits for itself.
  done_within_deadline([bank] { bank->transfer(0, 0, 40); });
  CHECK_THROWS_AS(done_within_deadline([bank] { bank->transfer(1, 1, 61); }), InsufficientFunds);
  CHECK(within_deadline([bank] { return balances(*bank); }) == std::vector<long>{40, 60});
}

TEST_CASE("transfers from many threads, in opposite directions, round a ring or into one account, neither deadlock nor lose money",
          "[16-deadlock][stress][req:3][req:4][req:11]") {
  const auto pattern = GENERATE(values<TransferPattern>({
      // Even workers move money 0 -> 1, odd ones 1 -> 0: the classic AB/BA pair.
      {"opposite directions", {kRich, kRich}, {{0, 1}, {1, 0}, {0, 1}, {1, 0}}},
      // Worker i pays account i + 1 from account i: 0 -> 1 -> 2 -> 0, a cycle.
      {"a ring", {kRich, kRich, kRich}, {{0, 1}, {1, 2}, {2, 0}}},
      // Four writers, one target: an unguarded credit loses updates.
      {"into one account", {0, kRich, kRich, kRich, kRich}, {{1, 0}, {2, 0}, {3, 0}, {4, 0}}},
  }));
  CAPTURE(pattern.name);
  auto shared = std::make_shared<Shared<Bank>>(pattern.opening, pattern.opening.size());
  const auto routes = pattern.routes;
  auto move_money = [routes](Shared<Bank>& s, int i) {
    auto gen = kata::rng(static_cast<std::uint64_t>(i));
    const std::size_t from = routes[static_cast<std::size_t>(i)].first;
    const std::size_t to = routes[static_cast<std::size_t>(i)].second;
    long moved = 0;
    kata::stress(kBudget, [&](int) {
      const long amount = 1 + static_cast<long>(gen() % 10);
      s.subject.transfer(from, to, amount);
      moved += amount;
    });
    s.counts[from] -= moved;
    s.counts[to] += moved;
  };
  if (!workers_finish(shared, static_cast<int>(routes.size()), move_money)) FAIL(kHang);
  INFO(shared->log->summary());
  REQUIRE(shared->log->empty());
  CHECK(balances(shared->subject) == expected_balances(pattern.opening, shared->counts));
  long opening_total = 0;
  for (long balance : pattern.opening) opening_total += balance;
  CHECK(shared->subject.total() == opening_total);
}

TEST_CASE("transfers racing for the last of an account's money never overdraw it", "[16-deadlock][stress][req:1][req:11]") {
  // Round after round, four threads each try to move 1 out of an account that
  // holds just 1: exactly one may succeed. Checking the funds before the
  // account is locked lets a second thread pass the check while the first
  // holds the lock, and the account ends at -1.
  constexpr int kRounds = 2000;
  static constexpr int kThreads = 4;
  // One bank and one latch per round: the four start each round together.
  struct Rounds {
    explicit Rounds(int n) {
      for (int i = 0; i < n; ++i) {
        banks.push_back(std::make_unique<Bank>(std::vector<long>{1, 0, 0, 0, 0}));
        starts.push_back(std::make_unique<std::latch>(kThreads));
      }
    }
    std::vector<std::unique_ptr<Bank>> banks;
    std::vector<std::unique_ptr<std::latch>> starts;
  };
  auto shared = std::make_shared<Shared<Rounds>>(kRounds, 0);
  auto grab_the_last_one = [](Shared<Rounds>& s, int i) {
    for (std::size_t round = 0; round < s.subject.banks.size(); ++round) {
      s.subject.starts[round]->arrive_and_wait();
      // Any other failure is recorded and the thread goes on, so the others
      // never wait at a latch for a thread that has left.
      s.log->capture("transfer", [&] {
        try {
          s.subject.banks[round]->transfer(0, static_cast<std::size_t>(i) + 1, 1);
        } catch (const InsufficientFunds&) {
          // the others were first: expected
        }
      });
    }
  };
  if (!workers_finish(shared, kThreads, grab_the_last_one)) FAIL(kHang);
  INFO(shared->log->summary());
  REQUIRE(shared->log->empty());
  for (int round = 0; round < kRounds; ++round) {
    const auto seen = balances(*shared->subject.banks[static_cast<std::size_t>(round)]);
    if (seen[0] != 0) {
      CAPTURE(round, seen);
      FAIL("account 0 held 1 and ended at " << seen[0] << ": more than one transfer passed the funds check");
    }
  }
}

TEST_CASE("total sees the same sum at every instant while transfers run", "[16-deadlock][stress][req:5][req:11]") {
  const std::vector<long> opening(8, 1000);
  auto shared = std::make_shared<Shared<Bank>>(opening, opening.size());
  auto writers_left = std::make_shared<std::atomic<int>>(3);
  // Worker 0 reads total() over and over until the writers are done (or the
  // budget runs out); workers 1-3 move money between random accounts.
  auto read_or_write = [writers_left](Shared<Bank>& s, int i) {
    auto gen = kata::rng(i);
    if (i == 0) {
      const auto give_up = kata::Clock::now() + kBudget.max_time;
      while (writers_left->load() > 0 && kata::Clock::now() < give_up) {
        const long seen = s.subject.total();
        if (seen != 8000) s.log->add("total() returned " + std::to_string(seen) + " instead of 8000");
      }
      return;
    }
    kata::stress(kBudget, [&](int) {
      const std::size_t from = gen() % 8, to = gen() % 8;
      const long amount = 1 + static_cast<long>(gen() % 50);
      try {
        s.subject.transfer(from, to, amount);
        s.counts[from] -= amount;
        s.counts[to] += amount;
      } catch (const InsufficientFunds&) {
        // expected now and then: that account was short
      }
    });
    --*writers_left;
  };
  if (!workers_finish(shared, 4, read_or_write)) FAIL(kHang);
  INFO(shared->log->summary());
  REQUIRE(shared->log->empty());
  CHECK(balances(shared->subject) == expected_balances(opening, shared->counts));
}

// ==================================================================== Table

TEST_CASE("a table needs two seats and knows only its own seats", "[16-deadlock][unit][req:6]") {
  CHECK_THROWS_AS(Table(1), std::invalid_argument);
  auto table = std::make_shared<Table>(3);
  CHECK(table->seats() == 3);
  CHECK_THROWS_AS(done_within_deadline([table] { table->dine(3, 1, [] {}); }), std::out_of_range);
  CHECK_THROWS_AS(done_within_deadline([table] { table->dine(0, -1, [] {}); }), std::invalid_argument);
}

TEST_CASE("a philosopher eats exactly the meals asked for", "[16-deadlock][unit][req:6]") {
  auto table = std::make_shared<Table>(2);
  auto meals = std::make_shared<std::atomic<int>>(0);
  done_within_deadline([table, meals] { table->dine(1, 3, [&] { ++*meals; }); });
  CHECK(*meals == 3);
  done_within_deadline([table, meals] { table->dine(0, 0, [&] { ++*meals; }); });
  CHECK(*meals == 3);
}

TEST_CASE("an exception thrown while eating propagates and puts both forks down", "[16-deadlock][unit][req:10]") {
  auto table = std::make_shared<Table>(3);
  auto meals = std::make_shared<std::atomic<int>>(0);
  CHECK_THROWS_WITH(done_within_deadline([table] { table->dine(0, 1, [] { throw std::runtime_error("too hot"); }); }), "too hot");
  // Philosopher 0 held forks 0 and 1; each neighbour needs one of them.
  done_within_deadline([table, meals] {
    table->dine(1, 1, [&] { ++*meals; });
    table->dine(2, 1, [&] { ++*meals; });
    table->dine(0, 1, [&] { ++*meals; });
  });
  CHECK(*meals == 3);
}

TEST_CASE("a dinner ends at the meal whose eat() throws", "[16-deadlock][unit][req:10]") {
  // The third of five meals throws: the exception must reach the caller then,
  // with no fourth meal eaten after it, and the forks must be free again.
  auto table = std::make_shared<Table>(2);
  auto meals = std::make_shared<std::atomic<int>>(0);
  CHECK_THROWS_WITH(done_within_deadline([table, meals] {
                      table->dine(0, 5, [meals] {
                        if (++*meals == 3) throw std::runtime_error("burnt");
                      });
                    }),
                    "burnt");
  INFO("eat() was called " << meals->load() << " times; the third one threw");
  CHECK(*meals == 3);
  done_within_deadline([table, meals] { table->dine(1, 1, [meals] { ++*meals; }); });
  CHECK(*meals == 4);
}

TEST_CASE("philosophers all eat their meals without deadlock", "[16-deadlock][stress][req:7][req:11]") {
  const int seats = GENERATE(2, 5);
  CAPTURE(seats);
  constexpr int kMeals = 300;
  auto shared = std::make_shared<Shared<Table>>(seats, seats);
  auto dine = [](Shared<Table>& s, int seat) {
    auto gen = kata::rng(seat);
    s.subject.dine(seat, kMeals, [&] {
      ++s.counts[seat];
      kata::random_pause(gen);
    });
  };
  if (!workers_finish(shared, seats, dine)) FAIL(kHang);
  INFO(shared->log->summary());
  REQUIRE(shared->log->empty());
  for (int seat = 0; seat < seats; ++seat) {
    CAPTURE(seat);
    CHECK(shared->counts[seat] == kMeals);
  }
}

TEST_CASE("a fork is never held by two philosophers at once", "[16-deadlock][stress][req:6][req:8][req:11]") {
  constexpr int kSeats = 5;
  auto shared = std::make_shared<Shared<RecordedTable>>(kSeats, 0);
  auto dine = [](Shared<RecordedTable>& s, int seat) {
    auto gen = kata::rng(seat);
    const std::string who = "philosopher " + std::to_string(seat);
    s.subject.table.dine(seat, 200, [&] {
      auto left = s.subject.forks[seat].record(who);
      auto right = s.subject.forks[(seat + 1) % kSeats].record(who);
      kata::random_pause(gen);
    });
  };
  if (!workers_finish(shared, kSeats, dine)) FAIL(kHang);
  INFO(shared->log->summary());
  REQUIRE(shared->log->empty());
  for (int fork = 0; fork < kSeats; ++fork) {
    CAPTURE(fork);
    CHECK(shared->subject.forks[fork].size() == 400);
    CHECK(shared->subject.forks[fork].max_overlap() == 1);
  }
}

TEST_CASE("philosophers who share no fork eat at the same time", "[16-deadlock][stress][req:9]") {
  // Philosophers 0 and 2 of 4 use forks {0, 1} and {2, 3}. Each, while eating,
  // waits up to 2 s for the other to be eating too: one lock for the whole
  // table (correct, but no better than one thread) never lets them meet.
  auto shared = std::make_shared<Shared<MeetingTable>>(4, 0);
  auto meet = [](Shared<MeetingTable>& s, int i) {
    s.subject.table.dine(static_cast<std::size_t>(2 * i), 1, [&] { s.subject.meeting.arrive_and_wait(2s); });
  };
  if (!workers_finish(shared, 2, meet)) FAIL(kHang);
  INFO(shared->log->summary());
  REQUIRE(shared->log->empty());
  INFO("philosophers 0 and 2 never ate at once");
  CHECK(shared->subject.meeting.all_met());
}
