// Verdicts end to end: the fixture binary's misbehaving tests through the
// real runner, each into the verdict a learner must see.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <thread>

#include <pwd.h>
#include <unistd.h>

#include "collect/verdict.hpp"
#include "process/containment.hpp"
#include "run/test_runner.hpp"

using namespace grader;

namespace {

bool judged_pass(const CaseEvidence& e) { return judge(e).status == TestStatus::pass; }

TestResult run_fixture(const std::string& name, double timeout_s = 5, bool stacks = false,
                       std::vector<std::pair<std::string, std::string>> env = {},
                       std::optional<RunAs> run_as = {}) {
  PosixProcessRunner runner;
  TestJob job;
  job.env = std::move(env);
  job.run_as = run_as;
  job.binary = GRADER_FIXTURE;
  job.memory_limit = kTestMemoryLimit;
  job.test_name = name;
  job.work_dir = std::filesystem::temp_directory_path() / ("grader-verdict-test-" + std::to_string(::getpid()));
  job.timeout_s = timeout_s;
  job.collect_stacks = stacks;
  auto evidence = run_jobs(runner, {job}, 1, judged_pass);
  std::filesystem::remove_all(job.work_dir);
  return judge(evidence.at(0));
}

// A fixture test that must fail: its result, for what the message says.
TestResult failure_of(const std::string& fixture, double timeout_s = 5) {
  auto r = run_fixture(fixture, timeout_s);
  CHECK(r.status == TestStatus::fail);
  return r;
}

// A fixture test that never ends by itself, in a 1 s limit: a timeout, told
// within 2 s more.
void check_times_out(const std::string& fixture) {
  auto r = run_fixture(fixture, 1.0);
  CHECK(r.status == TestStatus::timeout);
  CHECK(r.message == "timed out after 1 s: likely deadlock or livelock");
  CHECK(r.seconds < 3.0);
}

// A fixture test whose process ends before the test does: `status`, with a
// message that starts with why.
void check_ends_early(const std::string& fixture, TestStatus status, const std::string& why) {
  auto r = run_fixture(fixture);
  CHECK(r.status == status);
  CHECK_THAT(r.message, Catch::StartsWith(why));
}

// A fixture test that floods its output within `timeout_s`: the output is
// capped, and the test still passes.
void check_output_capped(const std::string& fixture, double timeout_s = 5) {
  auto r = run_fixture(fixture, timeout_s);
  CHECK(r.status == TestStatus::pass);
  CHECK(r.output.size() < 300 * 1024);
}

// What the grader says of bytes on the result channel without its secret.
const std::string kForgedReport =
    "something in the test process wrote to the grader's result channel without the grader's secret "
    "(a forged report?)";

// Lists the fixture's [fixture-listed] tests while it plays `attack`: the
// listing runs with the grader's environment, and the attack reads it there.
bool list_under_attack(const std::string& attack, std::vector<std::string>& names, std::string& why) {
  PosixProcessRunner runner;
  ::setenv("FIXTURE_ATTACK", attack.c_str(), 1);
  bool listed = list_test_names(runner, GRADER_FIXTURE, "[fixture-listed]", names, why);
  ::unsetenv("FIXTURE_ATTACK");
  return listed;
}

// Whether this machine lets the grader bound a test's processes.
bool prepare_task_limit_available() {
  auto limit = prepare_task_limit();
  bool available = !limit.cgroup.empty() || limit.nproc > 0;
  end_task_limit(0, limit);
  return available;
}

// Processes whose name is `name`: live ones, or with `zombies` the unreaped too.
int processes_named(const std::string& name, bool zombies = false) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    auto pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    auto open = text.find('('), close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 >= text.size()) continue;
    if (text.substr(open + 1, close - open - 1) == name && (zombies || text[close + 2] != 'Z')) ++count;
  }
  return count;
}

// A test that left one process, `name`, running: a failure naming it, and
// the process killed (with `zombies`: reaped too).
void check_left_running(const TestResult& r, const std::string& name, bool zombies = false) {
  CHECK(r.status == TestStatus::fail);
  CHECK_THAT(r.message, Catch::StartsWith("the test left 1 process(es) running after it ended (killed now): "));
  CHECK_THAT(r.message, Catch::Contains("(" + name + ")"));
  CHECK(processes_named(name, zombies) == 0);
}

// Entries of /dev/shm from this process's runs whose name ends with `suffix`.
int shm_entries_named(const std::string& suffix) {
  int count = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm", ec)) {
    auto name = entry.path().filename().string();
    if (name.find("kata_" + std::to_string(::getpid()) + "_") != std::string::npos && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      ++count;
  }
  return count;
}

}  // namespace

namespace {

// A job of the fixture binary, working in `dir`. With a family it is a
// mutant's run: one failure settles its group.
TestJob fixture_job(const std::filesystem::path& dir, const char* name, std::size_t group = 0, std::string family = "") {
  TestJob j;
  j.binary = GRADER_FIXTURE;
  j.test_name = name;
  j.work_dir = dir;
  j.timeout_s = 5;
  j.collect_stacks = false;
  j.group = group;
  j.stop_group_on_failure = !family.empty();
  j.family = std::move(family);
  return j;
}

// Runs the jobs on one slot and returns each one's status; removes `dir`.
std::vector<TestStatus> statuses_on_one_slot(ProcessRunner& runner, const std::vector<TestJob>& jobs,
                                             const std::filesystem::path& dir) {
  std::vector<TestStatus> statuses;
  for (const auto& e : run_jobs(runner, jobs, 1, judged_pass)) statuses.push_back(judge(e).status);
  std::filesystem::remove_all(dir);
  return statuses;
}

}  // namespace

TEST_CASE("a passing test passes", "[verdict]") {
  auto r = run_fixture("passes");
  CHECK(r.status == TestStatus::pass);
  CHECK(r.message.empty());
}

TEST_CASE("a test's HOME is its own working folder", "[verdict]") {
  CHECK(run_fixture("its home is its working folder").status == TestStatus::pass);
}

TEST_CASE("a failed assertion is a failure showing the expression, its values and messages", "[verdict]") {
  auto r = failure_of("fails an assertion");
  CHECK_THAT(r.message, Catch::Contains("fixture_test.cpp:") && Catch::Contains("REQUIRE( answer == 42 )") &&
                            Catch::Contains("with expansion: 41 == 42") &&
                            Catch::Contains("with message: the answer was computed by the stub"));
}

TEST_CASE("an exception escaping a test is a failure naming it", "[verdict]") {
  auto r = failure_of("throws an exception");
  CHECK_THAT(r.message, Catch::Contains("unexpected exception: TODO: Bank::transfer"));
}

TEST_CASE("a hanging test is a timeout within its limit plus 2 seconds", "[verdict]") {
  check_times_out("hangs forever");
}

TEST_CASE("a timeout shows where each thread was waiting", "[verdict]") {
  auto r = run_fixture("hangs forever", 1.0, true);
  CHECK(r.status == TestStatus::timeout);
  CHECK_THAT(r.message, Catch::StartsWith("timed out after 1 s: likely deadlock or livelock\n"));
  CHECK_THAT(r.message, Catch::Contains("fixture_test.cpp:") || Catch::Contains("no stacks"));
  // The promise: the timeout, then gdb for at most its 12 s (a loaded
  // machine takes seconds to attach), never an unbounded wait.
  CHECK(r.seconds < 1.0 + 12.0 + 2.0);
}

TEST_CASE("a segmentation fault is a crash naming the signal", "[verdict]") {
  check_ends_early("dereferences a null pointer", TestStatus::crashed, "crashed with SIGSEGV (segmentation fault)");
}

TEST_CASE("an abort is a crash naming the signal", "[verdict]") {
  check_ends_early("aborts", TestStatus::crashed, "crashed with SIGABRT (abort)");
}

TEST_CASE("exit(0) in the middle of a test is an error, not a pass", "[verdict]") {
  check_ends_early("exits in the middle", TestStatus::error,
                   "the test process exited with code 0 before the test finished");
}

TEST_CASE("a flood of output is capped and the test still judged", "[verdict]") {
  check_output_capped("floods the output");
}

TEST_CASE("100 MB through std::cout is capped like any output, and the test judged", "[verdict]") {
  check_output_capped("floods std::cout with 100 MB", 60);
}

TEST_CASE("a test spinning without progress is a timeout", "[verdict]") {
  check_times_out("spins without progress");
}

TEST_CASE("a fork bomb fails at the task limit and leaves no process behind", "[verdict]") {
  if (prepare_task_limit_available() == false) {
    WARN("no task limit can be set here (root without a pids cgroup): not run");
    return;
  }
  auto r = failure_of("forks without end", 20.0);
  CHECK_THAT(r.message, Catch::Contains("fork failed after"));
  CHECK_THAT(r.message, Catch::Contains("limit of 2048 processes and threads"));
  CHECK(r.seconds < 25.0);
  CHECK(processes_named("fixture-bomb") == 0);
}

TEST_CASE("allocating 8 GiB is refused and the verdict says the memory limit", "[verdict]") {
  auto r = failure_of("allocates 8 GiB");
  CHECK_THAT(r.message, Catch::Contains("std::bad_alloc"));
  CHECK_THAT(r.message, Catch::Contains("at most 6 GiB of memory"));
}

TEST_CASE("a child left running after the test is a failure naming it, and it is killed", "[verdict]") {
  check_left_running(run_fixture("leaves a child running"), "fixture-orphan");
}

TEST_CASE("a setsid() daemon is found and killed, with or without a cgroup", "[verdict]") {
  for (bool cgroups : {true, false}) {
    if (!cgroups) ::setenv("GRADER_NO_CGROUPS", "1", 1);  // as a user who cannot make one
    auto r = run_fixture("leaves a daemon in a session of its own");
    ::unsetenv("GRADER_NO_CGROUPS");
    check_left_running(r, "fixture-daemon", /*zombies=*/true);  // killed and reaped
  }
}

TEST_CASE("a destructor that sleeps forever after the test is a timeout", "[verdict]") {
  auto r = run_fixture("sleeps forever in a destructor", 1.0);
  CHECK(r.status == TestStatus::timeout);
  CHECK(r.seconds < 3.0);
}

TEST_CASE("a shared-memory segment left behind is a failure, and it is removed", "[verdict]") {
  auto r = failure_of("leaves a shared-memory segment behind");
  CHECK_THAT(r.message, Catch::StartsWith("the test left IPC objects behind (removed now): /dev/shm/kata_"));
  CHECK_THAT(r.message, Catch::EndsWith("_segment"));
  CHECK(shm_entries_named("_segment") == 0);
}

TEST_CASE("a message queue left behind is a failure, and it is removed", "[verdict]") {
  auto r = failure_of("leaves a message queue behind");
  CHECK_THAT(r.message, Catch::Contains("_queue"));
  CHECK(shm_entries_named("_queue") == 0);
}

TEST_CASE("names with Catch2's special characters select exactly their test", "[verdict]") {
  auto r = run_fixture("name, with [brackets] ~tilde and \\ backslash");
  CHECK(r.status == TestStatus::pass);
}

TEST_CASE("a name that selects no test is an error", "[verdict]") {
  auto r = run_fixture("no test has this name");
  CHECK(r.status == TestStatus::error);
  CHECK_THAT(r.message, Catch::Contains("instead of exactly \"no test has this name\""));
}

TEST_CASE("listing finds the visible tests and the timing ones", "[verdict]") {
  PosixProcessRunner runner;
  std::vector<std::string> names, timing;
  std::string why;
  REQUIRE(list_test_names(runner, GRADER_FIXTURE, "", names, why));
  REQUIRE(list_test_names(runner, GRADER_FIXTURE, "[timing]", timing, why));
  CHECK(names == std::vector<std::string>{"a test that is listed", "another listed test"});
  CHECK(timing == std::vector<std::string>{"another listed test"});

  // One listing also gives each test's tags, lower case.
  std::vector<std::string> again;
  std::map<std::string, std::string> tags;
  REQUIRE(list_test_names(runner, GRADER_FIXTURE, "", again, why, {}, &tags));
  CHECK(again == names);
  REQUIRE(tags.size() == 2);
  CHECK_THAT(tags.at("another listed test"), Catch::Contains("[timing]"));
  CHECK_THAT(tags.at("a test that is listed"), !Catch::Contains("[timing]"));
}

TEST_CASE("a sanitizer report in the output is a sanitizer verdict", "[verdict]") {
  CaseEvidence e;
  e.test_name = "t";
  e.process.started = true;
  e.process.exit_code = 66;
  e.process.output =
      "==================\n"
      "WARNING: ThreadSanitizer: data race (pid=1)\n"
      "  Write of size 8 at 0x7b04 by thread T2:\n"
      "    #0 Bank::transfer(int, int, long) /repo/exercises/16-deadlock/bank.cpp:21 (x+0x1)\n"
      "    #1 std::thread::_State_impl /usr/include/c++/12/thread:217 (x+0x2)\n"
      "SUMMARY: ThreadSanitizer: data race /repo/exercises/16-deadlock/bank.cpp:21 in Bank::transfer\n";
  auto r = judge(e);
  CHECK(r.status == TestStatus::sanitizer);
  CHECK_THAT(r.message, Catch::StartsWith("WARNING: ThreadSanitizer: data race (pid=1)\n"));
  CHECK_THAT(r.message, Catch::Contains("exercises/16-deadlock/bank.cpp:21"));
  CHECK_THAT(r.message, !Catch::Contains("/usr/include/c++/12/thread"));
}

TEST_CASE("gdb stacks are reduced to where each thread waits and our own frames", "[verdict]") {
  auto summary = summarize_stacks(
      "Thread 2 (Thread 0x7f LWP 12 \"solution\"):\n"
      "#0  0x00007f in __futex_abstimed_wait_common () at ./nptl/futex-internal.c:57\n"
      "#1  0x00007f in __pthread_mutex_lock_full () at ./nptl/pthread_mutex_lock.c:100\n"
      "#2  0x000055 in Bank::transfer (this=..., from=..., to=...) at /repo/solutions/16-deadlock/bank.cpp:30\n"
      "#3  0x000055 in std::thread::_Invoker<> () at /usr/include/c++/12/bits/std_thread.h:252\n"
      "Thread 1 (Thread 0x7e LWP 11 \"solution\"):\n"
      "#0  0x00007f in __GI___clock_nanosleep () at ../sysdeps/unix/sysv/linux/clock_nanosleep.c:71\n");
  CHECK(summary ==
        "thread 2:\n"
        "  waiting in __futex_abstimed_wait_common\n"
        "  at /repo/solutions/16-deadlock/bank.cpp:30 in Bank::transfer\n"
        "thread 1:\n"
        "  waiting in __GI___clock_nanosleep\n");
}

TEST_CASE("a run that needs one failure skips the rest of its tests once one fails", "[verdict]") {
  PosixProcessRunner runner;
  auto dir = std::filesystem::temp_directory_path() / ("grader-stop-test-" + std::to_string(::getpid()));
  std::vector<TestJob> jobs;
  for (auto name : {"fails an assertion", "passes", "passes"}) {
    jobs.push_back(fixture_job(dir, name));
    jobs.back().stop_group_on_failure = true;  // no family: nothing to learn from
  }
  jobs.push_back(fixture_job(dir, "passes", 1));  // another group, which does not stop
  CHECK(statuses_on_one_slot(runner, jobs, dir) ==
        std::vector<TestStatus>{TestStatus::fail, TestStatus::skipped, TestStatus::skipped, TestStatus::pass});
}

TEST_CASE("a mutant's other seeds wait for the first, then start with the test that failed in it", "[verdict]") {
  PosixProcessRunner runner;
  auto dir = std::filesystem::temp_directory_path() / ("grader-family-test-" + std::to_string(::getpid()));
  // Seeds 1 and 2 of one mutant (groups 0 and 1), interleaved, and a
  // solution's test (group 2) that fills the slot while seed 2 waits.
  std::vector<TestJob> jobs{fixture_job(dir, "passes", 0, "m"), fixture_job(dir, "passes", 1, "m"),
                            fixture_job(dir, "passes", 2), fixture_job(dir, "fails an assertion", 0, "m"),
                            fixture_job(dir, "fails an assertion", 1, "m"), fixture_job(dir, "passes", 1, "m")};
  CHECK(statuses_on_one_slot(runner, jobs, dir) == std::vector<TestStatus>{TestStatus::pass, TestStatus::skipped,
                                                                           TestStatus::pass, TestStatus::fail,
                                                                           TestStatus::fail, TestStatus::skipped});
}

TEST_CASE("a family whose first group never fails does not hold the others back", "[verdict]") {
  PosixProcessRunner runner;
  auto dir = std::filesystem::temp_directory_path() / ("grader-family-pass-" + std::to_string(::getpid()));
  std::vector<TestJob> jobs;
  for (std::size_t group : {0, 1, 0, 1}) jobs.push_back(fixture_job(dir, "passes", group, "m"));
  CHECK(statuses_on_one_slot(runner, jobs, dir) == std::vector<TestStatus>(4, TestStatus::pass));
}

namespace {

// Every run "hangs": it reports a timeout after 5 s that used `cpu_seconds`
// of CPU (it takes 500 ms here: long enough for a run started beside it to
// meet it on a loaded machine), and counts how many runs overlap.
class HangingRunner : public ProcessRunner {
 public:
  explicit HangingRunner(double cpu_seconds) : cpu_seconds_(cpu_seconds) {}
  ProcessResult run(const ProcessSpec&) override {
    int now = ++running_;
    for (int seen = most_; now > seen && !most_.compare_exchange_weak(seen, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    --running_;
    ProcessResult r;
    r.started = true;
    r.timed_out = true;
    r.seconds = 5;
    r.cpu_seconds = cpu_seconds_;
    return r;
  }
  int most_at_once() const { return most_; }

 private:
  double cpu_seconds_;
  std::atomic<int> running_{0}, most_{0};
};

// Seeds 1 and 2 of mutant "m" (groups 0 and 1) and a solution's test (group 2), on one core's slot.
std::vector<TestStatus> run_hanging_family(HangingRunner& runner) {
  auto dir = std::filesystem::temp_directory_path() / ("grader-sleeper-test-" + std::to_string(::getpid()));
  return statuses_on_one_slot(runner, {fixture_job(dir, "hangs", 0, "m"), fixture_job(dir, "other", 1, "m"),
                                       fixture_job(dir, "hangs", 1, "m"), fixture_job(dir, "solution's", 2)},
                              dir);
}

}  // namespace

TEST_CASE("a test that failed asleep runs again for the next seed beside the cores' tests", "[verdict]") {
  HangingRunner asleep(0.01);
  CHECK(run_hanging_family(asleep) ==
        std::vector<TestStatus>{TestStatus::timeout, TestStatus::skipped, TestStatus::timeout, TestStatus::timeout});
  CHECK(asleep.most_at_once() == 2);
  // One that kept a core busy takes a core's slot again: nothing runs beside it.
  HangingRunner busy(4.9);
  CHECK(run_hanging_family(busy) ==
        std::vector<TestStatus>{TestStatus::timeout, TestStatus::skipped, TestStatus::timeout, TestStatus::timeout});
  CHECK(busy.most_at_once() == 1);
}

TEST_CASE("a hidden test shows what failed, not its checks or output", "[verdict]") {
  TestResult fail{"t", TestStatus::fail, true, "tests/x_test.cpp:3: REQUIRE( secret == 42 )", "secret output", 0.1};
  conceal(fail);
  CHECK(fail.message == "this hidden test failed (its checks are not shown)");
  CHECK(fail.output.empty());
  TestResult timeout{"t", TestStatus::timeout, true,
                     "timed out after 5 s: likely deadlock or livelock\nwhere each thread was:\n  at tests/x_test.cpp:9", "", 5};
  conceal(timeout);
  CHECK(timeout.message == "timed out after 5 s: likely deadlock or livelock");
}

TEST_CASE("a report forged by a static initializer is an error, not a pass", "[verdict][integrity]") {
  auto r = run_fixture("passes", 5, false, {{"FIXTURE_ATTACK", "forge before main"}});
  CHECK(r.status == TestStatus::error);
  CHECK(r.message == kForgedReport);
}

TEST_CASE("a report forged from inside a test is an error, not a pass", "[verdict][integrity]") {
  auto r = run_fixture("forges a report from inside the test");
  CHECK(r.status == TestStatus::error);
  CHECK(r.message == kForgedReport);
}

TEST_CASE("the secret is gone before the test's own code runs", "[verdict][integrity]") {
  auto r = run_fixture("cannot read the grader's secret");
  CHECK(r.status == TestStatus::pass);
}

TEST_CASE("what a static initializer prints never becomes a test name", "[verdict][integrity]") {
  std::vector<std::string> names;
  std::string why;
  REQUIRE(list_under_attack("print test names", names, why));
  CHECK(names == std::vector<std::string>{"a test that is listed", "another listed test"});
}

TEST_CASE("a listing forged before main is refused", "[verdict][integrity]") {
  std::vector<std::string> names;
  std::string why;
  CHECK_FALSE(list_under_attack("forge before main", names, why));
  CHECK(why == kForgedReport);
}

TEST_CASE("a hang the test detects itself shows where each thread waits", "[verdict][stacks]") {
  // Not a timeout (20 s): the test failed on its own deadline, with stacks.
  auto r = run_fixture("gives up waiting for a stuck thread", 20, /*stacks=*/true);
  CHECK(r.status == TestStatus::fail);
  CHECK(r.message.find("the worker was still running after its deadline") != std::string::npos);
  CHECK(r.message.find("where each thread was when the test gave up waiting:") != std::string::npos);
  CHECK(r.message.find("fixture_test.cpp", r.message.find("where each thread")) != std::string::npos);
}

TEST_CASE("a stopped process is a timeout that says it was stopped", "[verdict]") {
  auto r = run_fixture("stops itself", 1.0);
  CHECK(r.status == TestStatus::timeout);
  CHECK(r.message == "timed out after 1 s: the process was stopped (SIGSTOP?), not running");
}

TEST_CASE("std::terminate is a crash that shows why it was called", "[verdict]") {
  auto r = run_fixture("lets an exception escape a thread");
  CHECK(r.status == TestStatus::crashed);
  CHECK_THAT(r.message, Catch::StartsWith("crashed with SIGABRT (abort)"));
  CHECK_THAT(r.message, Catch::Contains("terminate called after throwing an instance of 'std::runtime_error'"));
}

// The same faults, graded the way the trusted path grades: the grader root,
// the test as the unprivileged user nobody; and once more without cgroups,
// as on a machine where none can be made.
TEST_CASE("the fault matrix as an unprivileged user: every verdict holds, nothing is left", "[verdict][unprivileged]") {
  const passwd* nobody = getpwnam("nobody");
  if (geteuid() != 0 || !nobody) {
    WARN("needs root and a user named nobody: skipped");
    return;
  }
  const RunAs user{nobody->pw_uid, nobody->pw_gid};
  struct Fault {
    const char* test;
    double timeout_s;
    TestStatus status;
    const char* says;
  };
  const std::vector<Fault> faults{
      {"passes", 5, TestStatus::pass, ""},
      {"fails an assertion", 5, TestStatus::fail, "REQUIRE( answer == 42 )"},
      {"throws an exception", 5, TestStatus::fail, "TODO: Bank::transfer"},
      {"hangs forever", 1, TestStatus::timeout, "timed out after 1 s"},
      {"dereferences a null pointer", 5, TestStatus::crashed, "SIGSEGV"},
      {"aborts", 5, TestStatus::crashed, "SIGABRT"},
      {"exits in the middle", 5, TestStatus::error, "before the test finished"},
      {"floods std::cout with 100 MB", 60, TestStatus::pass, ""},
      {"spins without progress", 1, TestStatus::timeout, "timed out after 1 s"},
      {"forks without end", 20, TestStatus::fail, "fork failed after"},
      {"allocates 8 GiB", 5, TestStatus::fail, "at most 6 GiB of memory"},
      {"leaves a child running", 5, TestStatus::fail, "(fixture-orphan)"},
      {"leaves a daemon in a session of its own", 5, TestStatus::fail, "(fixture-daemon)"},
      {"leaves a shared-memory segment behind", 5, TestStatus::fail, "left IPC objects behind"},
      {"leaves a message queue behind", 5, TestStatus::fail, "left IPC objects behind"},
      {"forges a report from inside the test", 5, TestStatus::error, "without the grader's secret"},
      {"stops itself", 1, TestStatus::timeout, "stopped (SIGSTOP?)"},
      {"cannot read the grader's secret", 5, TestStatus::pass, ""},
  };
  for (bool cgroups : {true, false}) {
    if (!cgroups) ::setenv("GRADER_NO_CGROUPS", "1", 1);
    for (const auto& f : faults) {
      INFO(f.test << (cgroups ? "" : ", without cgroups"));
      auto r = run_fixture(f.test, f.timeout_s, false, {}, user);
      CHECK(to_string(r.status) == std::string(to_string(f.status)));
      CHECK_THAT(r.message, Catch::Contains(f.says));
    }
    ::unsetenv("GRADER_NO_CGROUPS");
  }
  for (const char* name : {"fixture-orphan", "fixture-daemon", "fixture-bomb"})
    CHECK(processes_named(name, /*zombies=*/true) == 0);
  CHECK(shm_entries_named("_segment") == 0);
  CHECK(shm_entries_named("_queue") == 0);
}
