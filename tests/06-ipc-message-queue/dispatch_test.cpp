// Hidden tests of 06-ipc-message-queue: jobs dispatched to worker processes
// through two message queues. dispatch() forks, so the test process stays
// single-threaded and runs each dispatch() in a supervisor child (its own
// process group) that copies the Report into memory it shares with the test,
// then checks what is left behind: the queues in /dev/shm, unreaped workers.
// The test reaps the supervisor with a deadline and then kills its whole group:
// a dispatcher that hangs becomes a failed assertion, never a hung test.
#include <catch2/catch.hpp>

#include "dispatch.hpp"

#include <kata/process_test.hpp>
#include <kata/test.hpp>

#include <boost/interprocess/ipc/message_queue.hpp>

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <new>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace bip = boost::interprocess;

namespace {

/// The Report, copied by the supervisor into shared memory.
struct Outcome {
  static constexpr int kMax = 1024;
  int finished = 0;  // dispatch returned
  char error[256] = {};  // what it threw, if it threw
  int num_results = 0;
  mq::Result results[kMax];
  int num_missing = 0;
  std::int64_t missing[kMax];
  int workers_failed = 0;
  int queues_left = 0;    // how many of the two queue names still existed after dispatch returned
  int children_left = 0;  // whether the supervisor still had a child (running or zombie) then
  std::int64_t elapsed_ms = 0;
};

bool queue_exists(const std::string& name) {
  try {
    bip::message_queue probe(bip::open_only, name.c_str());
    return true;
  } catch (const bip::interprocess_exception&) {
    return false;
  }
}

/// Removes both names at the end of a test whatever happened, so a broken
/// dispatcher leaks nothing into the next test. Tests check the names
/// themselves before this runs.
struct Backstop {
  std::string a, b;
  ~Backstop() {
    bip::message_queue::remove(a.c_str());
    bip::message_queue::remove(b.c_str());
  }
};

struct Run {
  bool timed_out = false;  // the supervisor was still running at the deadline
  std::string end;         // how the supervisor ended
};

/// Runs dispatch(inputs, fn, options) in a supervisor child and waits up to
/// `limit` for it. Fills `out`. Afterwards kills the supervisor's process group
/// (the workers too), so nothing outlives the call.
Run supervise(const std::vector<std::int64_t>& inputs, const mq::WorkFn& fn, const mq::Options& options,
              Outcome& out, std::chrono::milliseconds limit) {
  const pid_t pid = kata::fork_child(
      [&] {
        ::setpgid(0, 0);
        const auto start = kata::Clock::now();
        try {
          const mq::Report report = mq::dispatch(inputs, fn, options);
          out.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(kata::Clock::now() - start).count();
          out.num_results = static_cast<int>(std::min<std::size_t>(report.results.size(), Outcome::kMax));
          std::copy_n(report.results.begin(), out.num_results, out.results);
          out.num_missing = static_cast<int>(std::min<std::size_t>(report.missing.size(), Outcome::kMax));
          std::copy_n(report.missing.begin(), out.num_missing, out.missing);
          out.workers_failed = report.workers_failed;
        } catch (const std::exception& e) {
          std::strncpy(out.error, e.what(), sizeof out.error - 1);
        } catch (...) {
          std::strncpy(out.error, "a non-std exception", sizeof out.error - 1);
        }
        out.queues_left = int{queue_exists(options.jobs_queue)} + int{queue_exists(options.results_queue)};
        errno = 0;
        out.children_left = !(::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD);
        out.finished = 1;
        return 0;
      },
      1);
  ::setpgid(pid, pid);  // also here, so the group exists before either side goes on
  Run run;
  // On a timeout reap_within kills the supervisor; the kill of its group
  // below then stops the workers too.
  const kata::ChildEnd end = kata::reap_within(pid, limit);
  run.timed_out = end.timed_out;
  if (end.timed_out) {
    run.end = "still running after " + std::to_string(limit.count()) + " ms (hung), killed";
  } else if (!end.exited) {
    run.end = "killed by signal " + std::to_string(end.signal);
  } else {
    run.end = "exited with " + std::to_string(end.code);
  }
  ::kill(-pid, SIGKILL);  // workers the dispatcher left running, if any
  return run;
}

std::int64_t square_plus_one(std::int64_t x) { return x * x + 1; }

/// How many times each job id appears among the results.
std::map<std::int64_t, int> id_counts(const Outcome& out) {
  std::map<std::int64_t, int> counts;
  for (int i = 0; i < out.num_results; ++i) ++counts[out.results[i].id];
  return counts;
}

std::vector<std::int64_t> range(std::int64_t n, std::int64_t from = 0) {
  std::vector<std::int64_t> v;
  for (std::int64_t i = 0; i < n; ++i) v.push_back(from + i);
  return v;
}

}  // namespace

TEST_CASE("every job's result comes back exactly once from the worker processes", "[06-ipc-message-queue][unit][req:1][req:2][req:5][req:7]") {
  mq::Options options{kata::ipc_name("jobs"), kata::ipc_name("results"), 3, 4, 2000ms};
  Backstop backstop{options.jobs_queue, options.results_queue};
  kata::SharedScratch<Outcome> out;
  const auto inputs = range(300, 1000);  // far more jobs than the jobs queue holds

  const Run run = supervise(inputs, square_plus_one, options, *out, 20s);
  INFO("the dispatcher " << run.end << "; dispatch() threw: '" << out->error << "'");
  REQUIRE(out->finished == 1);
  REQUIRE(std::string(out->error).empty());

  const auto counts = id_counts(*out);
  std::vector<std::int64_t> duplicated;
  for (const auto& [id, n] : counts) {
    if (n > 1) duplicated.push_back(id);
  }
  INFO(out->num_results << " results for " << inputs.size() << " jobs; " << counts.size() << " distinct; "
                        << duplicated.size() << " ids duplicated; " << out->num_missing << " reported missing");
  REQUIRE(duplicated.empty());
  REQUIRE(counts.size() == inputs.size());
  REQUIRE(out->num_results == static_cast<int>(inputs.size()));
  REQUIRE(out->num_missing == 0);

  std::set<pid_t> pids;
  for (int i = 0; i < out->num_results; ++i) {
    const mq::Result& r = out->results[i];
    REQUIRE(r.id >= 0);
    REQUIRE(r.id < static_cast<std::int64_t>(inputs.size()));
    REQUIRE(r.output == square_plus_one(inputs[static_cast<std::size_t>(r.id)]));
    pids.insert(r.worker);
  }
  INFO("results came from " << pids.size() << " processes");
  REQUIRE(pids.size() <= 3);
  REQUIRE(pids.count(::getpid()) == 0);

  INFO("every worker should have taken its stop message and exited 0");
  REQUIRE(out->workers_failed == 0);
  INFO("a worker was left unreaped");
  REQUIRE(out->children_left == 0);
  INFO("a queue is still in /dev/shm after dispatch returned");
  REQUIRE(out->queues_left == 0);
}

TEST_CASE("slow jobs are waited for, not sent twice", "[06-ipc-message-queue][unit][req:3]") {
  mq::Options options{kata::ipc_name("jobs"), kata::ipc_name("results"), 2, 8, 3000ms};
  Backstop backstop{options.jobs_queue, options.results_queue};
  kata::SharedScratch<Outcome> out;
  // How many times each job was computed, counted in the workers: a job sent
  // twice is computed twice, even when the second result is never read.
  struct Calls {
    std::atomic<int> count[8];
  };
  kata::SharedScratch<Calls> calls;
  const auto inputs = range(8);
  // Every other job takes 250 ms: a result can be late without being lost.
  const mq::WorkFn slow = [tally = &*calls](std::int64_t x) {
    ++tally->count[x];
    if (x % 2 == 0) std::this_thread::sleep_for(250ms);
    return x * 3;
  };
  const Run run = supervise(inputs, slow, options, *out, 20s);
  INFO("the dispatcher " << run.end << "; dispatch() threw: '" << out->error << "'");
  REQUIRE(out->finished == 1);
  const auto counts = id_counts(*out);
  for (const auto& [id, n] : counts) {
    INFO("job " << id << " came back " << n << " times");
    REQUIRE(n == 1);
  }
  REQUIRE(counts.size() == inputs.size());
  REQUIRE(out->num_missing == 0);
  for (std::size_t x = 0; x < inputs.size(); ++x) {
    INFO("job " << x << " was computed " << calls->count[x].load() << " times: was it sent again?");
    REQUIRE(calls->count[x].load() == 1);
  }
  REQUIRE(out->workers_failed == 0);
  REQUIRE(out->queues_left == 0);
}

TEST_CASE("a worker killed mid-way costs its job, not a hang", "[06-ipc-message-queue][unit][req:4]") {
  mq::Options options{kata::ipc_name("jobs"), kata::ipc_name("results"), 3, 4, 700ms};
  Backstop backstop{options.jobs_queue, options.results_queue};
  kata::SharedScratch<Outcome> out;
  const auto inputs = range(40);
  constexpr std::int64_t kFatal = 13;  // the worker that takes this job dies with it
  const mq::WorkFn fragile = [](std::int64_t x) {
    if (x == kFatal) ::kill(::getpid(), SIGKILL);
    return x + 100;
  };
  const Run run = supervise(inputs, fragile, options, *out, 10s);
  INFO("the dispatcher " << run.end << " (a receive() without a deadline waits forever for the dead worker's result)");
  REQUIRE_FALSE(run.timed_out);
  INFO("dispatch() threw: '" << out->error << "'");
  REQUIRE(out->finished == 1);
  REQUIRE(std::string(out->error).empty());

  const auto counts = id_counts(*out);
  for (const auto& [id, n] : counts) {
    INFO("job " << id << " came back " << n << " times");
    REQUIRE(n == 1);
    REQUIRE(id != kFatal);
  }
  REQUIRE(counts.size() == inputs.size() - 1);
  INFO("the missing job must be reported");
  REQUIRE(out->num_missing == 1);
  REQUIRE(out->missing[0] == kFatal);
  REQUIRE(out->workers_failed >= 1);
  REQUIRE(out->children_left == 0);
  INFO("a queue is still in /dev/shm after dispatch returned");
  REQUIRE(out->queues_left == 0);
  CAPTURE(out->elapsed_ms);
  REQUIRE(out->elapsed_ms < 6000);
}

TEST_CASE("a worker still busy after patience is killed, reaped and counted as failed", "[06-ipc-message-queue][unit][req:4][req:5]") {
  mq::Options options{kata::ipc_name("jobs"), kata::ipc_name("results"), 1, 4, 300ms};
  Backstop backstop{options.jobs_queue, options.results_queue};
  kata::SharedScratch<Outcome> out;
  const auto inputs = range(1);
  const mq::WorkFn hangs = [](std::int64_t) -> std::int64_t {
    for (;;) ::pause();  // a job that never ends: only a signal stops this worker
  };
  const Run run = supervise(inputs, hangs, options, *out, 10s);
  INFO("the dispatcher " << run.end << " (a worker that never exits must be killed after patience)");
  REQUIRE_FALSE(run.timed_out);
  INFO("dispatch() threw: '" << out->error << "'");
  REQUIRE(out->finished == 1);
  REQUIRE(std::string(out->error).empty());
  REQUIRE(out->num_missing == 1);
  REQUIRE(out->missing[0] == 0);
  REQUIRE(out->workers_failed == 1);
  REQUIRE(out->children_left == 0);
  REQUIRE(out->queues_left == 0);
}

TEST_CASE("a worker returns at a stop message, or when no job comes within its idle timeout", "[06-ipc-message-queue][unit][req:6]") {
  const std::string jobs_name = kata::ipc_name("jobs");
  const std::string results_name = kata::ipc_name("results");
  Backstop backstop{jobs_name, results_name};
  bip::message_queue jobs(bip::create_only, jobs_name.c_str(), 16, sizeof(mq::Job));
  bip::message_queue results(bip::create_only, results_name.c_str(), 16, sizeof(mq::Result));

  // Runs run_worker in a child, which exits with the count of jobs done
  // (or 200 if it threw); the test waits for it with a deadline.
  auto worker_exit = [&](std::chrono::milliseconds idle, std::chrono::milliseconds limit) -> int {
    const pid_t pid = kata::fork_child(
        [&] { return mq::run_worker(jobs_name, results_name, square_plus_one, idle); }, 200);
    const kata::ChildEnd end = kata::reap_within(pid, limit);
    if (end.timed_out) return -1;  // hung
    return end.exited ? end.code : -2;
  };

  SECTION("three jobs, then a stop message") {
    for (std::int64_t id = 0; id < 3; ++id) {
      const mq::Job job{id, id + 5};
      REQUIRE(jobs.try_send(&job, sizeof job, 0));
    }
    const mq::Job stop{mq::kStopId, 0};
    REQUIRE(jobs.try_send(&stop, sizeof stop, 0));
    const mq::Job after{99, 1};  // after the stop: must stay in the queue
    REQUIRE(jobs.try_send(&after, sizeof after, 0));

    const int code = worker_exit(10s, 5s);
    INFO("run_worker's child: -1 = hung, 200 = threw, else the count it returned");
    REQUIRE(code == 3);
    REQUIRE(results.get_num_msg() == 3);
    for (std::int64_t id = 0; id < 3; ++id) {
      mq::Result r{};
      std::size_t size = 0;
      unsigned priority = 0;
      REQUIRE(results.try_receive(&r, sizeof r, size, priority));
      REQUIRE(size == sizeof r);
      REQUIRE(r.id == id);
      REQUIRE(r.output == square_plus_one(id + 5));
      REQUIRE(r.worker != ::getpid());
    }
    REQUIRE(jobs.get_num_msg() == 1);
  }
  SECTION("no job at all: the worker gives up after its idle timeout") {
    const auto start = kata::Clock::now();
    const int code = worker_exit(300ms, 5s);
    const auto took = kata::Clock::now() - start;
    INFO("run_worker's child: -1 = hung (a receive() without a deadline), 200 = threw, else its count");
    REQUIRE(code == 0);
    REQUIRE(took >= 250ms);
  }
}

TEST_CASE("queues that already exist are refused and left alone", "[06-ipc-message-queue][unit][req:1][req:7]") {
  mq::Options options{kata::ipc_name("jobs"), kata::ipc_name("results"), 1, 4, 1000ms};
  Backstop backstop{options.jobs_queue, options.results_queue};
  bip::message_queue squatter(bip::create_only, options.results_queue.c_str(), 2, 8);
  kata::SharedScratch<Outcome> out;
  const Run run = supervise(range(3), square_plus_one, options, *out, 10s);
  INFO("the dispatcher " << run.end);
  REQUIRE(out->finished == 1);
  INFO("dispatch must throw when a queue name is taken");
  REQUIRE_FALSE(std::string(out->error).empty());
  INFO("the queue dispatch created must be removed; the one it did not create must stay");
  REQUIRE_FALSE(queue_exists(options.jobs_queue));
  REQUIRE(queue_exists(options.results_queue));
  REQUIRE(out->children_left == 0);
}

TEST_CASE("a worker's idle timeout counts from its last message, not from its start", "[06-ipc-message-queue][unit][req:6]") {
  const std::string jobs_name = kata::ipc_name("jobs");
  const std::string results_name = kata::ipc_name("results");
  Backstop backstop{jobs_name, results_name};
  bip::message_queue jobs(bip::create_only, jobs_name.c_str(), 32, sizeof(mq::Job));
  bip::message_queue results(bip::create_only, results_name.c_str(), 32, sizeof(mq::Result));

  // 20 jobs 100 ms apart (2 s in all) to a worker whose idle timeout is 1 s:
  // it is never idle for 1 s, so it does all 20, then takes the stop. A
  // worker that counts its timeout from its start gives up after about 10.
  constexpr int kJobs = 20;
  const pid_t pid = kata::fork_child(
      [&] { return mq::run_worker(jobs_name, results_name, square_plus_one, 1000ms); }, 200);
  for (std::int64_t id = 0; id < kJobs; ++id) {
    const mq::Job job{id, id};
    REQUIRE(jobs.try_send(&job, sizeof job, 0));
    std::this_thread::sleep_for(100ms);
  }
  const mq::Job stop{mq::kStopId, 0};
  REQUIRE(jobs.try_send(&stop, sizeof stop, 0));
  const kata::ChildEnd end = kata::reap_within(pid, 5000ms);
  INFO("run_worker's child " << end.describe() << " (its exit code is the count of jobs it did; 200 = threw)");
  REQUIRE(end.exited_with(kJobs));
  REQUIRE(results.get_num_msg() == kJobs);
}

TEST_CASE("a jobs queue name that is taken is refused and left alone", "[06-ipc-message-queue][unit][req:7]") {
  mq::Options options{kata::ipc_name("jobs"), kata::ipc_name("results"), 1, 4, 1000ms};
  Backstop backstop{options.jobs_queue, options.results_queue};
  bip::message_queue squatter(bip::create_only, options.jobs_queue.c_str(), 2, 8);
  kata::SharedScratch<Outcome> out;
  const Run run = supervise(range(3), square_plus_one, options, *out, 10s);
  INFO("the dispatcher " << run.end);
  REQUIRE(out->finished == 1);
  INFO("dispatch must throw when the jobs queue's name is taken");
  REQUIRE_FALSE(std::string(out->error).empty());
  INFO("the jobs queue is someone else's: it must stay; no results queue may be left behind");
  REQUIRE(queue_exists(options.jobs_queue));
  REQUIRE_FALSE(queue_exists(options.results_queue));
  REQUIRE(out->children_left == 0);
}
