// Hidden tests of 07-process-pool: a pool of forked worker processes. The
// pool forks, so the test process stays single-threaded (no
// kata::finishes_within); every call that waits takes a timeout instead, and
// the tests judge what the caller can see: values in input order, the
// task's own error message, WorkerDied for a worker that aborted, the pids of
// the workers (replaced, never the test's own), time for sleeps that overlap,
// and, at the end, that no child is left running or unreaped.
#include <catch2/catch.hpp>

#include "process_pool.hpp"

#include <kata/process_test.hpp>
#include <kata/test.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

constexpr std::int64_t kAbort = -1;  // the task calls abort()
constexpr std::int64_t kThrow = -2;  // the task throws std::runtime_error("bad input -2")
constexpr std::int64_t kPid = -3;    // the task returns its process's pid
constexpr std::int64_t kThrowInt = -4;  // the task throws an int, not a std::exception
constexpr std::int64_t kExit = -5;      // the task ends its process with _exit(3)

/// The tasks of these tests: x*x, except the special inputs above, and
/// inputs >= 1000 sleep (x - 1000) ms first, then return x.
std::int64_t task(std::int64_t x) {
  if (x == kAbort) {
    // Catch2 handles SIGABRT in the test process to report a crash, and a
    // forked worker inherits that handler (and the report file): restore
    // the default, so abort() simply kills the worker, as it would anywhere.
    std::signal(SIGABRT, SIG_DFL);
    std::abort();
  }
  if (x == kThrow) throw std::runtime_error("bad input " + std::to_string(x));
  if (x == kPid) return ::getpid();
  if (x == kThrowInt) throw 42;
  if (x == kExit) ::_exit(3);
  if (x >= 1000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(x - 1000));
    return x;
  }
  return x * x;
}

/// While alive, SIGABRT has its default action in this process, so workers
/// forked meanwhile inherit that instead of Catch2's crash reporter (which
/// would write into this test's report from the child). A worker that dies
/// of std::terminate then just dies, and the pool sees a dead worker.
class DefaultAbortAction {
 public:
  DefaultAbortAction() : previous_(std::signal(SIGABRT, SIG_DFL)) {}
  ~DefaultAbortAction() { std::signal(SIGABRT, previous_); }
  DefaultAbortAction(const DefaultAbortAction&) = delete;
  DefaultAbortAction& operator=(const DefaultAbortAction&) = delete;

 private:
  void (*previous_)(int);
};

}  // namespace

TEST_CASE("tasks run in the pool's worker processes, several at once", "[07-process-pool][unit][req:1]") {
  {
    pp::ProcessPool pool(4, task);
    REQUIRE(pool.size() == 4);
    const auto workers = pool.worker_pids();
    REQUIRE(workers.size() == 4);
    REQUIRE(std::set<pid_t>(workers.begin(), workers.end()).size() == 4);

    // Four sleeps of 300 ms on four workers: together well under 4 x 300.
    const auto start = kata::Clock::now();
    const auto slept = pool.map({1300, 1300, 1300, 1300}, 5s);
    const auto took = kata::Clock::now() - start;
    REQUIRE(slept == std::vector<std::int64_t>{1300, 1300, 1300, 1300});
    CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
    INFO("four 300 ms tasks on four workers should overlap");
    REQUIRE(took < 900ms);

    const auto pids = pool.map({kPid, kPid, kPid, kPid, kPid, kPid, kPid, kPid}, 5s);
    for (const auto pid : pids) {
      INFO("a task ran in process " << pid << "; the test is " << ::getpid());
      REQUIRE(pid != ::getpid());
      REQUIRE(std::find(workers.begin(), workers.end(), pid) != workers.end());
    }
  }
  INFO("the destructor must leave no worker running or unreaped");
  REQUIRE(kata::no_children_left());
}

TEST_CASE("map returns the results in input order", "[07-process-pool][unit][req:2][req:3]") {
  pp::ProcessPool pool(3, task);
  // The first inputs sleep longest, so they finish last.
  const std::vector<std::int64_t> inputs{1240, 1200, 1160, 1120, 1080, 1040, 1000, 5, 6, 7};
  const auto results = pool.map(inputs, 10s);
  REQUIRE(results == std::vector<std::int64_t>{1240, 1200, 1160, 1120, 1080, 1040, 1000, 25, 36, 49});

  // submit/get: each ticket gets its own task's value, whatever the order.
  const auto slow = pool.submit(1150);
  const auto fast = pool.submit(9);
  REQUIRE(pool.get(fast, 5s) == 81);
  REQUIRE(pool.get(slow, 5s) == 1150);
  REQUIRE_THROWS_AS(pool.get(slow, 1s), std::invalid_argument);  // taken already
}

TEST_CASE("an exception thrown by a task reaches the caller with its message", "[07-process-pool][unit][req:2][req:3][req:4]") {
  DefaultAbortAction plain_abort;  // an exception escaping a worker ends in abort()
  pp::ProcessPool pool(2, task);
  const auto before = pool.worker_pids();

  const auto failing = pool.submit(kThrow);
  const auto fine = pool.submit(4);
  try {
    (void)pool.get(failing, 5s);
    FAIL("get() returned a value for a task that threw");
  } catch (const pp::TaskFailed& e) {
    REQUIRE(std::string(e.what()).find("bad input -2") != std::string::npos);
  } catch (const pp::WorkerDied& e) {
    FAIL("the exception killed the worker instead of being sent back: " << e.what());
  }
  REQUIRE(pool.get(fine, 5s) == 16);
  INFO("a task that throws must not cost its worker");
  REQUIRE(pool.worker_pids() == before);

  // map: the first failing input in input order decides what is thrown, and
  // the pool goes on working afterwards.
  REQUIRE_THROWS_WITH(pool.map({1, 2, kThrow, 3}, 5s), Catch::Contains("bad input -2"));
  REQUIRE_THROWS_AS(pool.map({1, kThrow, 3}, 5s), pp::TaskFailed);
  REQUIRE(pool.map({1, 2, 3}, 5s) == std::vector<std::int64_t>{1, 4, 9});
}

TEST_CASE("a task that aborts fails with WorkerDied and its worker is replaced", "[07-process-pool][unit][req:2][req:3][req:5]") {
  {
    pp::ProcessPool pool(1, task);  // one worker: the pool has no other to fall back on
    const pid_t first = pool.worker_pids().at(0);

    const auto doomed = pool.submit(kAbort);
    const auto next = pool.submit(6);
    INFO("get() must report the dead worker's task, not wait for it (WaitTimeout) or hang");
    REQUIRE_THROWS_AS(pool.get(doomed, 5s), pp::WorkerDied);
    INFO("the task queued behind it must still run, on a new worker");
    REQUIRE(pool.get(next, 5s) == 36);

    REQUIRE(pool.size() == 1);
    const auto now = pool.worker_pids();
    REQUIRE(now.size() == 1);
    REQUIRE(now[0] != first);
    INFO("the dead worker was not reaped (a zombie)");
    REQUIRE(kata::reaped(first));
  }
  {
    pp::ProcessPool pool(2, task);
    REQUIRE_THROWS_AS(pool.map({1, 2, kAbort, 4, 5, 6}, 5s), pp::WorkerDied);
    REQUIRE(pool.map({7, 8, 9, 10}, 5s) == std::vector<std::int64_t>{49, 64, 81, 100});
    REQUIRE(pool.worker_pids().size() == 2);
  }
  REQUIRE(kata::no_children_left());
}

TEST_CASE("close refuses new tasks and join runs the queued ones, then reaps the workers", "[07-process-pool][unit][req:6]") {
  {
    pp::ProcessPool pool(2, task);
    std::vector<pp::Ticket> tickets;
    for (std::int64_t i = 0; i < 6; ++i) tickets.push_back(pool.submit(1050 + i));
    pool.close();
    REQUIRE_THROWS_AS(pool.submit(1), pp::PoolClosed);
    REQUIRE_THROWS_AS(pool.map({1}, 1s), pp::PoolClosed);

    REQUIRE(pool.join(5s));
    REQUIRE(pool.worker_pids().empty());
    INFO("after join every worker has exited and been reaped");
    REQUIRE(kata::no_children_left());
    // Outcomes finished during join are still there to take.
    for (std::int64_t i = 0; i < 6; ++i) REQUIRE(pool.get(tickets[static_cast<std::size_t>(i)], 1s) == 1050 + i);
  }
  REQUIRE(kata::no_children_left());
}

TEST_CASE("the destructor stops busy workers at once", "[07-process-pool][unit][req:1][req:2][req:7]") {
  const auto start = kata::Clock::now();
  {
    pp::ProcessPool pool(2, task);
    (void)pool.submit(1000 + 20000);  // 20 s of work
    (void)pool.submit(1000 + 20000);
    REQUIRE_THROWS_AS(pool.get(pool.submit(3), 200ms), pp::WaitTimeout);  // both workers busy
  }
  const auto took = kata::Clock::now() - start;
  CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
  REQUIRE(took < 3s);
  REQUIRE(kata::no_children_left());
  REQUIRE_THROWS_AS(pp::ProcessPool(0, task), std::invalid_argument);
}

TEST_CASE("a task that throws something other than a std::exception fails with TaskFailed too", "[07-process-pool][unit][req:2][req:4]") {
  DefaultAbortAction plain_abort;  // an exception escaping a worker ends in abort()
  pp::ProcessPool pool(1, task);
  const auto before = pool.worker_pids();
  REQUIRE_THROWS_AS(pool.get(pool.submit(kThrowInt), 5s), pp::TaskFailed);
  REQUIRE_THROWS_AS(pool.get(pool.submit(kThrow), 5s), pp::TaskFailed);
  INFO("a task that throws must not cost its worker, whatever it throws");
  REQUIRE(pool.worker_pids() == before);
  REQUIRE(pool.get(pool.submit(5), 5s) == 25);
  pool.close();
  REQUIRE(pool.join(5s));
  REQUIRE(kata::no_children_left());
}

TEST_CASE("a task whose worker exits fails with WorkerDied that tells the exit code", "[07-process-pool][unit][req:2][req:5]") {
  {
    pp::ProcessPool pool(1, task);
    const pid_t first = pool.worker_pids().at(0);
    try {
      (void)pool.get(pool.submit(kExit), 5s);
      FAIL("get() returned a value for a task whose worker exited");
    } catch (const pp::WorkerDied& e) {
      REQUIRE(std::string(e.what()).find("exit code 3") != std::string::npos);
    }
    REQUIRE(kata::reaped(first));
    REQUIRE(pool.get(pool.submit(7), 5s) == 49);
  }
  REQUIRE(kata::no_children_left());
}

TEST_CASE("join that runs out of time kills the workers and returns false", "[07-process-pool][unit][req:6]") {
  const auto start = kata::Clock::now();
  {
    pp::ProcessPool pool(2, task);
    (void)pool.submit(1000 + 20000);  // 20 s of work
    (void)pool.submit(2);
    pool.close();
    REQUIRE_FALSE(pool.join(200ms));
    REQUIRE(pool.worker_pids().empty());
    INFO("a join that gave up must still leave no child behind");
    REQUIRE(kata::no_children_left());
  }
  const auto took = kata::Clock::now() - start;
  CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
  REQUIRE(took < 3s);
}

TEST_CASE("a pool that cannot start all its workers throws and leaves no child behind", "[07-process-pool][unit]") {
  bool threw = false;
  {
    // Room for the sockets of a few workers, not of 64.
    kata::FewDescriptors limit(6);
    try {
      pp::ProcessPool pool(64, task);
    } catch (const std::exception&) {
      threw = true;
    }
  }
  REQUIRE(threw);
  INFO("the workers started before the failure must be stopped and reaped");
  REQUIRE(kata::no_children_left());
}

TEST_CASE("map with several failing inputs throws the failure of the first in input order", "[07-process-pool][unit][req:3]") {
  DefaultAbortAction plain_abort;
  {
    pp::ProcessPool pool(2, task);
    // Two failures in one call, of two kinds: the first in input order
    // decides what is thrown, not the last one seen nor the first to finish.
    REQUIRE_THROWS_AS(pool.map({1, kThrow, 2, kAbort, 3}, 5s), pp::TaskFailed);
    REQUIRE_THROWS_AS(pool.map({1, kAbort, 2, kThrow, 3}, 5s), pp::WorkerDied);
    REQUIRE_THROWS_WITH(pool.map({kThrow, kExit}, 5s), Catch::Contains("bad input -2"));
    REQUIRE(pool.map({4, 5}, 5s) == std::vector<std::int64_t>{16, 25});
  }
  REQUIRE(kata::no_children_left());
}

TEST_CASE("a get that timed out leaves the ticket to be taken later", "[07-process-pool][unit][req:2]") {
  {
    pp::ProcessPool pool(1, task);
    const auto slow = pool.submit(1300);  // 300 ms
    REQUIRE_THROWS_AS(pool.get(slow, 50ms), pp::WaitTimeout);
    INFO("the timed-out get took the ticket away: its task's value is lost");
    REQUIRE(pool.get(slow, 5s) == 1300);
    REQUIRE_THROWS_AS(pool.get(slow, 1s), std::invalid_argument);
  }
  REQUIRE(kata::no_children_left());
}

TEST_CASE("a failed task's ticket is taken once too", "[07-process-pool][unit][req:2]") {
  DefaultAbortAction plain_abort;
  {
    pp::ProcessPool pool(1, task);
    const auto failing = pool.submit(kThrow);
    const auto dying = pool.submit(kAbort);
    REQUIRE_THROWS_AS(pool.get(failing, 5s), pp::TaskFailed);
    REQUIRE_THROWS_AS(pool.get(dying, 5s), pp::WorkerDied);
    INFO("a failure, once thrown, is taken: a second get of the ticket is an unknown ticket");
    REQUIRE_THROWS_AS(pool.get(failing, 1s), std::invalid_argument);
    REQUIRE_THROWS_AS(pool.get(dying, 1s), std::invalid_argument);
    REQUIRE(pool.get(pool.submit(3), 5s) == 9);
  }
  REQUIRE(kata::no_children_left());
}

TEST_CASE("map throws a failure only after every task of the call has finished", "[07-process-pool][unit][req:3]") {
  {
    pp::ProcessPool pool(2, task);
    // The first input fails at once, the second sleeps 400 ms on the other
    // worker: map must wait for it before throwing, not leave it running.
    const auto start = kata::Clock::now();
    REQUIRE_THROWS_AS(pool.map({kThrow, 1400}, 5s), pp::TaskFailed);
    const auto took = kata::Clock::now() - start;
    CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
    INFO("map threw before its 400 ms task had finished");
    REQUIRE(took >= 350ms);
    REQUIRE(pool.map({2, 3}, 5s) == std::vector<std::int64_t>{4, 9});
  }
  REQUIRE(kata::no_children_left());
}
