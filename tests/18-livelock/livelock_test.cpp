// Hidden tests of 18-livelock: two polite workers must both finish their
// jobs even under the most unlucky schedule, the one that moves them in lock
// step. LockStep below is that schedule: the k-th step() of one worker
// returns only once the other has reached its own k-th step (or has left), so
// both take their own resource in the same step, both try the other's in the
// next, both fail, both let go, and so on. Naive politeness repeats that
// forever; a random back-off (or one lock order) breaks the symmetry.
//
// A livelock never ends by itself, so LockStep ends it: past a step budget or
// a deadline every step() throws Livelocked, the workers unwind (their RAII
// guards release the resources) and the test fails with a message. Every
// wait in the test also has a deadline of its own.
#include <catch2/catch.hpp>

#include "livelock.hpp"

#include <kata/test.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <latch>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// Thrown by step() to end a run that makes no progress.
struct Livelocked {};

/// The adversarial schedule: both workers move one step at a time, together.
/// Safe from any thread.
class LockStep {
 public:
  LockStep(long max_steps, std::chrono::milliseconds limit)
      : max_steps_(max_steps), deadline_(kata::Clock::now() + limit) {}

  /// Worker `id`'s next step: waits until the other worker has made as many
  /// steps (or has left). Throws Livelocked past the budget or the deadline.
  void step(int id) {
    std::unique_lock lock(mutex_);
    if (stopped_) throw Livelocked{};
    const long mine = ++steps_[id];
    if (mine > max_steps_) stop_locked();
    caught_up_cv_.notify_all();
    const bool met = caught_up_cv_.wait_until(
        lock, deadline_, [&] { return stopped_ || left_[1 - id] || steps_[1 - id] >= mine; });
    if (!met) stop_locked();
    if (stopped_) throw Livelocked{};
  }
  /// Worker `id` is done (returned or threw): the other steps alone from now on.
  void leave(int id) {
    std::lock_guard guard(mutex_);
    left_[id] = true;
    caught_up_cv_.notify_all();
  }
  long steps(int id) const {
    std::lock_guard guard(mutex_);
    return steps_[id];
  }
  bool stopped() const {
    std::lock_guard guard(mutex_);
    return stopped_;
  }

 private:
  void stop_locked() {
    stopped_ = true;
    caught_up_cv_.notify_all();
  }

  const long max_steps_;
  const kata::Clock::time_point deadline_;
  mutable std::mutex mutex_;
  std::condition_variable caught_up_cv_;  // a step was made, a worker left, or the run stopped
  std::array<long, 2> steps_{0, 0};
  std::array<bool, 2> left_{false, false};
  bool stopped_ = false;
};

/// One run of two workers, with what the tests look at afterwards. Shared
/// with the worker threads through a shared_ptr, so a thread abandoned on a
/// timeout touches nothing freed.
struct Run {
  Run(long max_steps, std::chrono::milliseconds limit) : schedule(max_steps, limit) {}
  Workbench bench;
  LockStep schedule;
  kata::FailureLog log;
  std::array<std::atomic<int>, 2> jobs_done{};
  std::array<std::atomic<bool>, 2> livelocked{};
  std::atomic<int> in_job{0};
};

constexpr int kJobs = 10;
constexpr long kMaxSteps = 4000;

/// Runs workers 0 and 1 (kJobs jobs each) under LockStep on two threads
/// started together; false if they have not all returned within `limit`.
/// Each job checks that its worker holds both resources and that no other
/// job runs at the same time.
bool run_workers(const std::shared_ptr<Run>& run, std::chrono::milliseconds limit) {
  return kata::finishes_within(limit, [run] {
    std::latch start(2);
    std::vector<std::thread> workers;
    for (int id = 0; id < 2; ++id) {
      workers.emplace_back([&start, run, id] {
        start.arrive_and_wait();
        Job job = [run](int worker) {
          KATA_CHECK(run->log, run->bench.resource[0].held_by_me());
          KATA_CHECK(run->log, run->bench.resource[1].held_by_me());
          KATA_CHECK(run->log, ++run->in_job == 1);
          ++run->jobs_done[worker];
          --run->in_job;
        };
        Step step = [run, id] { run->schedule.step(id); };
        try {
          polite_worker(run->bench, id, kJobs, job, step);
        } catch (const Livelocked&) {
          run->livelocked[id] = true;
        } catch (const std::exception& e) {
          run->log.add("worker " + std::to_string(id) + " threw: " + e.what());
        }
        run->schedule.leave(id);
      });
    }
    for (auto& worker : workers) worker.join();
  });
}

std::string progress(const Run& run) {
  std::ostringstream out;
  for (int id = 0; id < 2; ++id) {
    out << "worker " << id << ": " << run.jobs_done[id] << " of " << kJobs << " jobs in " << run.schedule.steps(id)
        << " steps" << (run.livelocked[id] ? " (stopped: no progress)" : "") << "\n";
  }
  return out.str();
}

}  // namespace

TEST_CASE("two polite workers both finish their jobs under a lock-step schedule", "[18-livelock][req:1][unit]") {
  auto run = std::make_shared<Run>(kMaxSteps, 4s);
  const bool returned = run_workers(run, 8s);
  INFO(progress(*run));
  INFO(run->log.summary());
  REQUIRE(returned);
  INFO("in lock step, naive politeness (or a back-off of the same length for both) collides forever: a livelock");
  REQUIRE_FALSE(run->schedule.stopped());
  REQUIRE(run->jobs_done[0] == kJobs);
  REQUIRE(run->jobs_done[1] == kJobs);
}

TEST_CASE("a job runs only while its worker holds both resources", "[18-livelock][req:2][unit]") {
  auto run = std::make_shared<Run>(kMaxSteps, 4s);
  const bool returned = run_workers(run, 8s);
  INFO(progress(*run));
  REQUIRE(returned);
  INFO(run->log.summary());
  REQUIRE(run->log.empty());
  REQUIRE(run->jobs_done[0] + run->jobs_done[1] > 0);
}

TEST_CASE("both resources are free again once the workers have returned", "[18-livelock][req:3][unit]") {
  auto run = std::make_shared<Run>(kMaxSteps, 4s);
  const bool returned = run_workers(run, 8s);
  INFO(progress(*run));
  REQUIRE(returned);
  for (auto& resource : run->bench.resource) {
    REQUIRE(resource.try_lock());
    resource.unlock();
  }
}

TEST_CASE("a worker alone at the bench does every job without waiting", "[18-livelock][req:4][unit]") {
  auto run = std::make_shared<Run>(kMaxSteps, 4s);
  run->schedule.leave(1);  // worker 1 never comes: worker 0 steps alone
  const bool returned = kata::finishes_within(4s, [run] {
    polite_worker(
        run->bench, 0, kJobs,
        [run](int worker) {
          KATA_CHECK(run->log, worker == 0);
          KATA_CHECK(run->log, run->bench.resource[0].held_by_me() && run->bench.resource[1].held_by_me());
          ++run->jobs_done[0];
        },
        [run] { run->schedule.step(0); });
  });
  REQUIRE(returned);
  INFO(run->log.summary());
  REQUIRE(run->log.empty());
  REQUIRE(run->jobs_done[0] == kJobs);
  REQUIRE_THROWS_AS(polite_worker(run->bench, 2, 1, [](int) {}, [] {}), std::invalid_argument);
}

TEST_CASE("two polite workers finish when the threads run freely", "[18-livelock][req:5][stress][req:6]") {
  constexpr int kFreeJobs = 200;
  struct Free {
    Workbench bench;
    kata::FailureLog log;
    std::array<std::atomic<int>, 2> done{};
    std::atomic<bool> stop{false};
  };
  auto shared = std::make_shared<Free>();
  const auto deadline = kata::Clock::now() + 4s;
  const bool returned = kata::finishes_within(8s, [shared, deadline] {
    std::latch start(2);
    std::vector<std::thread> workers;
    for (int id = 0; id < 2; ++id) {
      workers.emplace_back([&start, shared, deadline, id] {
        auto gen = kata::rng(static_cast<std::uint64_t>(id));
        start.arrive_and_wait();
        shared->log.capture("worker " + std::to_string(id), [&] {
          polite_worker(
              shared->bench, id, kFreeJobs,
              [shared](int worker) {
                KATA_CHECK(shared->log, shared->bench.resource[0].held_by_me());
                KATA_CHECK(shared->log, shared->bench.resource[1].held_by_me());
                ++shared->done[worker];
              },
              [&gen, deadline] {
                if (kata::Clock::now() > deadline) throw std::runtime_error("no progress within 4 s");
                kata::random_pause(gen);
              });
        });
      });
    }
    for (auto& worker : workers) worker.join();
  });
  REQUIRE(returned);
  INFO(shared->log.summary());
  REQUIRE(shared->log.empty());
  REQUIRE(shared->done[0] == kFreeJobs);
  REQUIRE(shared->done[1] == kFreeJobs);
}

TEST_CASE("a worker whose job or step throws lets go of both resources", "[18-livelock][req:3][unit]") {
  // A worker alone at the bench, so every state is reached in order: step 1
  // right after taking its own resource, step 2 holding both, then the job.
  // Whatever throws, the exception leaves polite_worker and nothing stays held.
  struct Failure {};
  for (int throw_at = 1; throw_at <= 5; ++throw_at) {
    CAPTURE(throw_at);  // steps 1..4, or 5: the third job instead
    auto bench = std::make_shared<Workbench>();
    auto outcome = kata::value_within(4s, [bench, throw_at]() -> std::string {
      int steps = 0;
      int jobs = 0;
      try {
        polite_worker(
            *bench, 0, 5,
            [&jobs, throw_at](int) {
              if (++jobs == 3 && throw_at == 5) throw Failure{};
            },
            [&steps, throw_at] {
              if (++steps == throw_at && throw_at < 5) throw Failure{};
            });
      } catch (const Failure&) {
        return "threw";
      }
      return "returned";
    });
    REQUIRE(outcome.has_value());
    CHECK(*outcome == "threw");
    INFO("a resource still held after the worker left: release through RAII guards, not by hand after the job");
    for (int r = 0; r < 2; ++r) {
      CAPTURE(r);
      const bool free_now = bench->resource[r].try_lock();
      if (free_now) bench->resource[r].unlock();
      CHECK(free_now);
    }
  }
}
