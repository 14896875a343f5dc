// How many test processes run at once: a steady number, and more while the
// cores idle (run/idle_cores.hpp, run_jobs' Slots).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <unistd.h>

#include "run/idle_cores.hpp"
#include "run/test_runner.hpp"
#include "text_file.hpp"
#include "write_file.hpp"

using namespace grader;
namespace fs = std::filesystem;

namespace {

// Each test process takes 200 ms; the runner counts how many ran at once.
class CountingRunner : public ProcessRunner {
 public:
  std::atomic<int> running{0}, most{0};

  ProcessResult run(const ProcessSpec&) override {
    int now = ++running;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    --running;
    ProcessResult r;
    r.started = true;
    r.exit_code = 0;
    return r;
  }
};

int most_at_once(const Slots& slots) {
  CountingRunner runner;
  std::vector<TestJob> jobs(6);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].test_name = "case " + std::to_string(i);
    jobs[i].group = i;
    jobs[i].work_dir = fs::temp_directory_path() / ("grader-slots-" + std::to_string(::getpid()));
  }
  run_jobs(runner, jobs, slots, [](const CaseEvidence&) { return true; });
  fs::remove_all(jobs[0].work_dir);
  return runner.most;
}

}  // namespace

TEST_CASE("a steady number of tests runs at once, and more only while another one fits", "[slots]") {
  CHECK(most_at_once(Slots(1)) == 1);
  CHECK(most_at_once(Slots(2)) == 2);

  Slots busy(2);
  busy.most = 4;
  busy.another_fits = [] { return false; };
  CHECK(most_at_once(busy) == 2);

  Slots idle(2);
  idle.most = 4;
  idle.another_fits = [] { return true; };
  CHECK(most_at_once(idle) == 4);
}

TEST_CASE("the cores' busy share comes from /proc/stat's first line, niced time counted as idle", "[slots]") {
  auto s = IdleCores::parse("cpu  100 20 30 800 50 5 5 10 7 0\ncpu0 1 2 3 4\n");
  REQUIRE(s);
  CHECK(s->busy == 100 + 30 + 5 + 5 + 10);  // niced time (20) yields to tests: not busy
  CHECK(s->total == s->busy + 20 + 800 + 50);
  CHECK_FALSE(IdleCores::parse("cpu0 1 2 3 4 5 6 7\n"));
  CHECK_FALSE(IdleCores::parse(""));
  CHECK(IdleCores::parse(read_text_file("/proc/stat")));
}

TEST_CASE("another test fits only after an interval in which the cores were mostly idle", "[slots]") {
  auto stat = fs::temp_directory_path() / ("grader-stat-" + std::to_string(::getpid()));
  IdleCores cores(stat, 0.5, std::chrono::milliseconds(20));
  write_file(stat, "cpu  100 0 0 100 0 0 0 0\n");
  CHECK_FALSE(cores.another_fits());  // the first sample: nothing to compare with yet
  write_file(stat, "cpu  110 0 0 190 0 0 0 0\n");  // busy 10 of 100 ticks
  CHECK_FALSE(cores.another_fits());               // too soon after the last sample
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  CHECK(cores.another_fits());
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  write_file(stat, "cpu  180 0 0 220 0 0 0 0\n");  // busy 70 of 100
  CHECK_FALSE(cores.another_fits());
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  write_file(stat, "cpu  190 0 0 310 0 0 0 0\n");  // idle again
  CHECK(cores.another_fits());
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  write_file(stat, "cpu  200 90 0 310 0 0 0 0\n");  // a niced build took 90 of 100: it yields
  CHECK(cores.another_fits());
  fs::remove(stat);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  CHECK_FALSE(cores.another_fits());  // unreadable: no more than the steady slots
}
