#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands/context.hpp"
#include "interrupt.hpp"
#include "process/process.hpp"

using namespace grader;
using namespace std::chrono_literals;

namespace {
ProcessSpec command(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  return spec;
}
}  // namespace

TEST_CASE("a program's output and exit code are captured", "[process]") {
  PosixProcessRunner runner;
  auto r = runner.run(command({"sh", "-c", "echo out; echo err >&2; exit 3"}));
  REQUIRE(r.started);
  CHECK(r.exit_code == 3);
  CHECK(r.signal == 0);
  CHECK_FALSE(r.timed_out);
  CHECK(r.output == "out\nerr\n");
}

TEST_CASE("a background program and what it starts run at idle priority", "[process]") {
  PosixProcessRunner runner;
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "sh -c 'chrt -p $$'"};
  spec.background = true;
  auto r = runner.run(spec);
  REQUIRE(r.exited_ok());
  CHECK_THAT(r.output, Catch::Contains("current scheduling policy: SCHED_IDLE"));
  spec.background = false;  // as the grader itself runs
  r = runner.run(spec);
  REQUIRE(r.exited_ok());
  CHECK_THAT(r.output, !Catch::Contains("SCHED_IDLE"));
}

TEST_CASE("a program's CPU time is measured apart from its wall time, also at a timeout", "[process]") {
  PosixProcessRunner runner;
  auto asleep = runner.run(command({"sleep", "0.5"}));
  REQUIRE(asleep.exited_ok());
  CHECK(asleep.seconds >= 0.5);
  CHECK(asleep.cpu_seconds < 0.1);
  auto spec = command({"sh", "-c", "while :; do :; done"});
  spec.timeout = 500ms;
  auto busy = runner.run(spec);
  REQUIRE(busy.timed_out);
  CHECK(busy.cpu_seconds > 0.1);
  CHECK(busy.cpu_seconds <= busy.seconds + 0.1);
}

TEST_CASE("a program killed by a signal reports the signal", "[process]") {
  PosixProcessRunner runner;
  auto r = runner.run(command({"sh", "-c", "kill -SEGV $$"}));
  CHECK(r.signal == SIGSEGV);
  CHECK(describe_signal(r.signal) == "SIGSEGV (segmentation fault)");
}

TEST_CASE("a program that outlives its timeout is killed with its whole group", "[process]") {
  PosixProcessRunner runner;
  auto spec = command({"sh", "-c", "sleep 30 & echo $!; wait"});
  spec.timeout = 500ms;
  auto r = runner.run(spec);
  REQUIRE(r.timed_out);
  CHECK(r.seconds < 2.5);
  // The background sleep was in the program's group: it is gone (or a zombie
  // waiting for init) right after run() returns.
  auto background = std::stoi(r.output);
  std::this_thread::sleep_for(100ms);
  bool gone = kill(background, 0) != 0;
  if (!gone) {
    std::ifstream stat("/proc/" + std::to_string(background) + "/stat");
    std::string pid, comm, state;
    stat >> pid >> comm >> state;
    gone = state == "Z";
  }
  CHECK(gone);
}

TEST_CASE("output beyond the cap keeps its head and tail and says how much was cut", "[process]") {
  PosixProcessRunner runner;
  auto spec = command({"sh", "-c", "echo FIRST; head -c 1000000 /dev/zero | tr '\\0' a; echo; echo LAST"});
  spec.output_cap = 1000;
  auto r = runner.run(spec);
  CHECK(r.output_cut > 990000);
  CHECK(r.output.size() < 1200);
  CHECK(r.output.rfind("FIRST", 0) == 0);
  CHECK(r.output.find("LAST") != std::string::npos);
  CHECK(r.output.find("bytes of output cut") != std::string::npos);
}

TEST_CASE("a program that does not exist is not started, and says why", "[process]") {
  PosixProcessRunner runner;
  auto r = runner.run(command({"no-such-program-kata"}));
  CHECK_FALSE(r.started);
  CHECK(r.start_error == "'no-such-program-kata' is not installed (not found on PATH)");
}

namespace {

// The pids cgroups a grader process made for its tests (kata-<pid>-<n>).
std::vector<std::string> cgroups_of(pid_t grader) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/sys/fs/cgroup/pids", ec))
    if (e.path().filename().string().rfind("kata-" + std::to_string(grader) + "-", 0) == 0)
      found.push_back(e.path().string());
  return found;
}

// Running, not a zombie nor gone.
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

}  // namespace

TEST_CASE("SIGTERM to the grader kills its running tests and removes their cgroups", "[process][interrupt]") {
  if (geteuid() != 0 || ::access("/sys/fs/cgroup/pids", W_OK) != 0) {
    WARN("no writable pids cgroup here (cgroup v1 as root): the grader bounds tests with RLIMIT_NPROC instead");
    return;
  }
  pid_t grader = ::fork();
  REQUIRE(grader >= 0);
  if (grader == 0) {  // a grader running one test that hangs
    handle_interrupts();
    PosixProcessRunner runner;
    auto spec = command({"sleep", "300"});
    spec.test_limits = true;
    spec.timeout = 60s;
    runner.run(spec);
    ::_exit(0);
  }
  std::vector<std::string> groups;
  for (int i = 0; i < 500 && groups.empty(); ++i) {
    std::this_thread::sleep_for(10ms);
    groups = cgroups_of(grader);
  }
  REQUIRE(groups.size() == 1);
  std::vector<pid_t> tests;
  for (int i = 0; i < 500 && tests.empty(); ++i) {
    std::ifstream procs(groups[0] + "/cgroup.procs");
    for (pid_t pid; procs >> pid;) tests.push_back(pid);
    if (tests.empty()) std::this_thread::sleep_for(10ms);
  }
  REQUIRE(tests.size() == 1);

  ::kill(grader, SIGTERM);
  int status = 0;
  REQUIRE(::waitpid(grader, &status, 0) == grader);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == kExitInterrupted);
  CHECK_FALSE(running(tests[0]));
  CHECK(cgroups_of(grader).empty());
}
