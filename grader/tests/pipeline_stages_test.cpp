// The pipeline's stages and the commands that drive them, on a fake
// process runner: which trees are built, what each test process is given,
// and the verdicts that come back.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "adder_course.hpp"
#include "commands/commands.hpp"
#include "fake_process_runner.hpp"
#include "pipeline/grade.hpp"
#include "text_file.hpp"

using namespace grader;
namespace fs = std::filesystem;

namespace {

// The script of a course whose solution passes, whose stub fails one of two
// tests, and whose mutant fails the first it runs.
void script(FakeProcessRunner& runner) {
  runner.tests_of["01-adder/solution"] = {{"adds", true}, {"adds negatives", true}};
  runner.tests_of["01-adder/exercise"] = {{"adds", false}, {"adds negatives", true}};
  runner.tests_of["01-adder/mutant.subtracts"] = {{"adds", false}, {"adds negatives", false}};
  runner.timing_tests = {"adds negatives"};
}

std::string env_of(const ProcessSpec& spec, const std::string& name) {
  for (const auto& [k, v] : spec.env)
    if (k == name) return v;
  return "(unset)";
}

std::vector<ProcessSpec> runs_of(FakeProcessRunner& runner, const std::string& binary_suffix) {
  std::vector<ProcessSpec> runs;
  for (const auto& c : runner.calls())
    if (c.argv.size() >= 2 && c.argv[0].size() >= binary_suffix.size() &&
        c.argv[0].compare(c.argv[0].size() - binary_suffix.size(), binary_suffix.size(), binary_suffix) == 0 &&
        c.argv[1] != "--list-test-names-only")
      runs.push_back(c);
  return runs;
}

// The course on the fake runner, which plays script(): what the stages print
// goes to out, errors to err.
struct ScriptedCourse {
  AdderCourse course;
  FakeProcessRunner runner;
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};

  ScriptedCourse() { script(runner); }
};

}  // namespace

TEST_CASE("plan: one build per tree; a preloaded profile adds its shim; a forbidden symbol needs no build", "[stages]") {
  AdderCourse course("#include <thread>\nint add(int a, int b) { std::this_thread::sleep_for(1ms); return a + b; }\n");
  FakeProcessRunner runner;
  std::ostringstream out;
  Context ctx{course.paths, runner, out};
  auto plan = plan_stage(ctx, {{&course.adder(), "exercise", &default_profile(), 1},
                               {&course.adder(), "solution", find_profile("tsan"), 1},
                               {&course.adder(), "mutant.subtracts", find_profile("noise"), 2, true}});
  CHECK(plan.results[0].verdict == Verdict::forbidden);
  CHECK(plan.results[0].message ==
        "exercises/01-adder/adder.cpp:2: 'sleep_for' is not allowed here: Nothing to wait for.");
  CHECK_FALSE(plan.ready[0]);
  CHECK(plan.ready[1]);
  CHECK(plan.targets_by_tree.at("tsan") == std::set<std::string>{"01-adder.solution"});
  // noise runs the plain tree's binary with its shim preloaded
  CHECK(plan.targets_by_tree.at("plain") == std::set<std::string>{"01-adder.mutant.subtracts", "kata_noise"});
  CHECK(runner.calls().empty());
}

TEST_CASE_METHOD(ScriptedCourse,
                 "the stages: each tree configured and built once, each case run with its profile's environment",
                 "[stages]") {
  ctx.jobs = 2;
  auto results = grade(ctx, {{&course.adder(), "solution", find_profile("tsan"), 7},
                             {&course.adder(), "solution", find_profile("noise"), 7},
                             {&course.adder(), "exercise", &default_profile(), 7}});
  REQUIRE(results.size() == 3);
  CHECK(results[0].verdict == Verdict::pass);
  CHECK(results[0].profile == "tsan");
  CHECK(results[1].verdict == Verdict::pass);
  CHECK(results[2].verdict == Verdict::fail);
  CHECK(results[2].points == 0);
  CHECK(results[0].points == 10);
  REQUIRE(results[2].tests.size() == 2);

  int configures = 0, builds = 0;
  for (const auto& c : runner.calls()) {
    configures += c.argv.size() > 1 && c.argv[0] == "cmake" && c.argv[1] == "--preset";
    builds += c.argv.size() > 1 && c.argv[0] == "cmake" && c.argv[1] == "--build";
  }
  CHECK(configures == 2);  // plain (noise's too) and tsan
  CHECK(builds == 2);

  auto tsan_runs = runs_of(runner, "tsan/bin/01-adder/solution");
  REQUIRE(tsan_runs.size() == 2);
  for (const auto& spec : tsan_runs) {
    CHECK_THAT(env_of(spec, "TSAN_OPTIONS"), Catch::StartsWith("halt_on_error=1 "));
    CHECK_THAT(env_of(spec, "TSAN_OPTIONS"), Catch::EndsWith(" report_signal_unsafe=0"));  // the exercise's own
    CHECK(env_of(spec, "KATA_SEED") == "7");
    CHECK(spec.no_aslr);
    CHECK(spec.memory_limit == 0);  // a sanitizer reserves terabytes
    CHECK(spec.test_limits);
    CHECK(spec.secret.size() == 64);
  }
  auto plain_runs = runs_of(runner, "plain/bin/01-adder/solution");
  REQUIRE(plain_runs.size() == 2);  // the noise profile's
  for (const auto& spec : plain_runs) {
    CHECK(env_of(spec, "LD_PRELOAD") == (course.root / "build/plain/lib/libkata_noise.so").string());
    CHECK(spec.memory_limit == kTestMemoryLimit);
    CHECK_FALSE(spec.no_aslr);
    CHECK(spec.cwd.string().find("/runs-noise/") != std::string::npos);
  }
}

TEST_CASE_METHOD(ScriptedCourse, "a build failure is the subject's verdict, in the compiler's words", "[stages]") {
  runner.failing_targets["01-adder.exercise"] =
      "exercises/01-adder/adder.cpp:1:30: error: expected ';' before '}' token";
  auto results = grade(ctx, {{&course.adder(), "exercise", &default_profile(), 1}});
  REQUIRE(results.size() == 1);
  CHECK(results[0].verdict == Verdict::build_error);
  CHECK_THAT(results[0].message, Catch::Contains("adder.cpp:1:30: error: expected ';' before '}' token"));
  CHECK(runs_of(runner, "bin/01-adder/exercise").empty());
}

TEST_CASE_METHOD(ScriptedCourse,
                 "a tree configured before costs one build call; a target CMake skipped fails on its own",
                 "[stages]") {
  grade(ctx, {{&course.adder(), "solution", &default_profile(), 1}});
  auto calls_before = runner.calls().size();

  auto again = grade(ctx, {{&course.adder(), "solution", &default_profile(), 1}});
  CHECK(again.at(0).verdict == Verdict::pass);
  auto calls = runner.calls();
  REQUIRE(calls.size() > calls_before);
  CHECK(calls[calls_before].argv.at(1) == "--build");  // no configure, no separate regeneration
  CHECK(std::count_if(calls.begin() + calls_before, calls.end(),
                      [](const ProcessSpec& c) { return c.argv.at(0) == "cmake"; }) == 1);

  // CMake, re-run by ninja, no longer makes the exercise's target (say its
  // kata.json broke): ninja names it unknown, and only that target fails.
  write_file(course.paths.tree("plain") / "kata-targets.txt", "01-adder.solution\n");
  calls_before = runner.calls().size();
  auto broken = grade(ctx, {{&course.adder(), "exercise", &default_profile(), 1}});
  CHECK(broken.at(0).verdict == Verdict::build_error);
  CHECK_THAT(broken.at(0).message,
             Catch::StartsWith("CMake did not create the target 01-adder.exercise (its kata.json or files are broken):"));
  calls = runner.calls();
  CHECK(std::count_if(calls.begin() + calls_before, calls.end(),
                      [](const ProcessSpec& c) { return c.argv.at(0) == "cmake"; }) == 1);
  CHECK(runs_of(runner, "bin/01-adder/exercise").empty());
}

TEST_CASE_METHOD(ScriptedCourse, "a mutant run stops at its first failing test; a timing test runs after the others",
                 "[stages]") {
  ctx.jobs = 1;
  auto results = grade(ctx, {{&course.adder(), "mutant.subtracts", &default_profile(), 1, true}});
  REQUIRE(results[0].tests.size() == 2);
  CHECK(results[0].verdict == Verdict::fail);
  CHECK(results[0].tests[0].status == TestStatus::fail);     // "adds" ran first
  CHECK(results[0].tests[1].status == TestStatus::skipped);  // "adds negatives" is [timing]: after it, and not needed
  CHECK(runs_of(runner, "bin/01-adder/mutant.subtracts").size() == 1);
}

TEST_CASE_METHOD(ScriptedCourse,
                 "a mutant runs one test at a time, so its first failure skips the rest; other slots take other runs",
                 "[stages]") {
  runner.tests_of["01-adder/mutant.subtracts"] = {{"adds", false}, {"adds negatives", false}, {"adds zero", true}};
  ctx.jobs = 2;
  auto results = grade(ctx, {{&course.adder(), "mutant.subtracts", &default_profile(), 1, true},
                             {&course.adder(), "mutant.subtracts", &default_profile(), 2, true}});
  REQUIRE(results.size() == 2);
  CHECK(results[0].verdict == Verdict::fail);
  CHECK(results[1].verdict == Verdict::fail);
  CHECK(runs_of(runner, "bin/01-adder/mutant.subtracts").size() == 2);  // "adds" of each run, nothing after it
}

TEST_CASE_METHOD(
    ScriptedCourse,
    "explore tries several schedules per test case; the failing one is named with the seed that replays it",
    "[stages]") {
  runner.fails_with_seed["adds"] = {std::to_string(schedule_seed(5, 3))};  // the 4th schedule only
  auto results = grade(ctx, {{&course.adder(), "solution", find_profile("explore"), 5}});
  REQUIRE(results.at(0).tests.size() == 2);
  const auto& adds = results[0].tests[0].name == "adds" ? results[0].tests[0] : results[0].tests[1];
  const auto& other = results[0].tests[0].name == "adds" ? results[0].tests[1] : results[0].tests[0];
  CHECK(adds.status == TestStatus::fail);
  CHECK_THAT(adds.message, Catch::EndsWith("\n(schedule 4 of 8 tried, seed 3000005: --seed 3000005 replays it)"));
  CHECK(other.status == TestStatus::pass);
  int adds_runs = 0, other_runs = 0;
  for (const auto& run : runs_of(runner, "bin/01-adder/solution")) (run.argv[1] == "adds" ? adds_runs : other_runs)++;
  CHECK(adds_runs == 4);   // stopped at the failure
  CHECK(other_runs == 8);  // every schedule passed
  // The strategy follows the seed: a random walk, then PCT, by turns.
  std::map<std::string, std::string> strategy_of_seed;
  for (const auto& run : runs_of(runner, "bin/01-adder/solution"))
    strategy_of_seed[env_of(run, "KATA_SEED")] = env_of(run, "KATA_EXPLORE_STRATEGY");
  CHECK(strategy_of_seed.at("5") == "random");
  CHECK(strategy_of_seed.at("1000005") == "pct");
  CHECK(strategy_of_seed.at("3000005") == "pct");
  CHECK(strategy_of_seed.at("4000005") == "random");

  // The replay: --seed 3000005 fails at the first schedule.
  auto replay = grade(ctx, {{&course.adder(), "solution", find_profile("explore"), 3000005}});
  for (const auto& t : replay.at(0).tests)
    if (t.name == "adds") CHECK_THAT(t.message, Catch::EndsWith("(schedule 1 of 8 tried, seed 3000005: --seed 3000005 replays it)"));
}

TEST_CASE("kata.json sets a profile's schedules per test case", "[stages]") {
  AdderCourse course;
  auto meta = read_text_file(course.root / "exercises/01-adder/kata.json");
  meta.replace(meta.find("\"noise\": {}"), 11, "\"noise\": {}, \"explore\": {\"schedules\": 2, \"budget_s\": 30}");
  write_file(course.root / "exercises/01-adder/kata.json", meta);
  course.catalog = load_catalog(course.paths.exercises);
  REQUIRE(course.catalog.problems.empty());
  CHECK(schedules_of(course.adder(), *find_profile("explore")) == std::pair<int, double>{2, 30.0});
  CHECK(schedules_of(course.adder(), *find_profile("noise")) == std::pair<int, double>{1, 0.0});
  FakeProcessRunner runner;
  script(runner);
  runner.fails_with_seed["adds"] = {std::to_string(schedule_seed(5, 3))};
  std::ostringstream out;
  Context ctx{course.paths, runner, out};
  auto results = grade(ctx, {{&course.adder(), "solution", find_profile("explore"), 5}});
  CHECK(results.at(0).verdict == Verdict::pass);  // two schedules do not reach the 4th
  CHECK(runs_of(runner, "bin/01-adder/solution").size() == 4);

  meta.replace(meta.find("\"schedules\": 2"), 14, "\"schedules\": 0");
  write_file(course.root / "exercises/01-adder/kata.json", meta);
  CHECK_THAT(load_catalog(course.paths.exercises).problems.at(0), Catch::Contains("schedules"));
}

TEST_CASE_METHOD(ScriptedCourse, "progress: the stages say what they build and run, nothing else", "[stages]") {
  StageTimes times;
  grade(ctx, {{&course.adder(), "solution", &default_profile(), 1}}, terminal_progress(out, false), &times);
  CHECK(out.str() == "building 1 test binary (plain)...\nrunning 2 test cases...\n");
  CHECK(times.build >= 0);
}

TEST_CASE_METHOD(ScriptedCourse, "check: the verdict on stdout, results.json written, exit code 1 for a failure",
                 "[stages][commands]") {
  CHECK(run_check(ctx, {.names = {"01"}, .report_dir = (course.root / "reports").string()}) == kExitFailures);
  CHECK(err.str().empty());
  CHECK_THAT(out.str(), Catch::Contains("grading 1 exercise (exercise, plain, seed 0)"));
  CHECK_THAT(out.str(), Catch::Contains("41 == 42"));
  CHECK_THAT(read_text_file(course.root / "reports/results.json"), Catch::Contains("\"status\":\"fail\""));
}

TEST_CASE_METHOD(ScriptedCourse,
                 "check --all-profiles: a pass under every listed profile, else the first failing one's verdict",
                 "[stages][commands]") {
  runner.tests_of["01-adder/exercise"] = {{"adds", true}, {"adds negatives", true}};
  const CheckOptions options{.names = {"01"}, .all_profiles = true, .report_dir = (course.root / "reports").string()};
  auto profiles_run = [this] {
    std::set<std::string> seen;
    for (const auto& run : runs_of(runner, "/01-adder/exercise")) seen.insert(FakeProcessRunner::profile_of(run));
    return seen;
  };

  SECTION("a pass under plain alone names the profiles a pull request is graded under too") {
    CHECK(run_check(ctx, {.names = {"01"}, .report_dir = (course.root / "reports").string()}) == kExitPass);
    CHECK_THAT(out.str(), Catch::EndsWith("A pull request is graded under tsan and noise too: ./kata check 01-adder --all-profiles\n"));
    CHECK(profiles_run() == std::set<std::string>{"plain"});
  }
  SECTION("passing under plain, tsan and noise (the ones kata.json lists) passes") {
    CHECK(run_check(ctx, options) == kExitPass);
    CHECK_THAT(out.str(), Catch::Contains("grading 1 exercise (exercise, every profile listed, seed 0)"));
    CHECK(profiles_run() == std::set<std::string>{"plain", "tsan", "noise"});
    const auto calls = runner.calls();
    CHECK(std::any_of(calls.begin(), calls.end(), [](const ProcessSpec& call) {
      return call.argv.size() > 2 && call.argv[1] == "--build" && call.argv[2].find("tsan") != std::string::npos;
    }));
    CHECK_THAT(read_text_file(course.root / "reports/results.json"), Catch::Contains("\"status\":\"pass\""));
  }
  SECTION("a failure under tsan alone fails, says so, and noise never runs") {
    runner.fails_under["adds"] = {"tsan"};
    CHECK(run_check(ctx, options) == kExitFailures);
    CHECK_THAT(out.str(), Catch::Contains("01-adder (exercise, tsan): fail, 1 of 2 tests passed"));
    CHECK(profiles_run() == std::set<std::string>{"plain", "tsan"});
    const auto results = read_text_file(course.root / "reports/results.json");
    CHECK_THAT(results, Catch::Contains("\"profile\":\"tsan\""));
    CHECK_THAT(results, Catch::Contains("\"status\":\"fail\""));
  }
  SECTION("an exercise that does not build under plain is built under no other profile") {
    runner.failing_targets["01-adder.exercise"] = "exercises/01-adder/adder.cpp:1:1: error: expected expression";
    CHECK(run_check(ctx, options) == kExitFailures);
    CHECK_THAT(out.str(), Catch::Contains("01-adder (exercise, plain): build error"));
    for (const auto& call : runner.calls()) {
      INFO((call.argv.size() > 2 ? call.argv[2] : std::string()));
      CHECK_FALSE((call.argv.size() > 2 && call.argv[0] == "cmake" && call.argv[1] == "--build" &&
                   call.argv[2].find("tsan") != std::string::npos));
    }
  }
  CHECK(err.str().empty());
  // Every tree is built before a test binary first runs: as --run-as, the
  // tests are hidden from the tests' user once the learner's code has run.
  const auto calls = runner.calls();
  std::size_t last_build = 0, first_run = calls.size();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const auto& argv = calls[i].argv;
    if (argv.size() >= 2 && argv[0] == "cmake" && argv[1] == "--build") last_build = i;
    if (first_run == calls.size() && argv.at(0).find("/bin/01-adder/") != std::string::npos) first_run = i;
  }
  CHECK(last_build < first_run);
}

TEST_CASE_METHOD(ScriptedCourse, "check: an unknown exercise is a usage error on stderr, and nothing is built",
                 "[stages][commands]") {
  CHECK(run_check(ctx, {.names = {"99"}}) == kExitUsage);
  CHECK(out.str().empty());
  CHECK_THAT(err.str(), Catch::StartsWith("grader: error: "));
  CHECK(runner.calls().empty());
}

TEST_CASE_METHOD(ScriptedCourse,
                 "selfcheck: solution passes, stub fails, mutant caught in every run, and where the time went",
                 "[stages][commands]") {
  int code = run_selfcheck(ctx, {.names = {"01"}, .mutant_runs = 2, .coverage = false});
  INFO(out.str());
  CHECK(code == kExitPass);
  CHECK_THAT(out.str(), Catch::Contains("01-adder                   ok    solution: plain pass, tsan pass, noise pass | "
                                        "coverage - | stub fails 1/2 tests | mutants caught 2/2 runs"));
  CHECK_THAT(out.str(), Catch::Contains("build 0 s, run 0 s, collect 0 s"));
  CHECK_THAT(out.str(), Catch::Contains("test time by exercise"));
  CHECK_THAT(out.str(), Catch::EndsWith("selfcheck: 9 passed, 0 failed\n"));
}

TEST_CASE_METHOD(ScriptedCourse, "selfcheck: a mutant the tests do not catch fails the check, and says so",
                 "[stages][commands]") {
  runner.tests_of["01-adder/mutant.subtracts"] = {{"adds", true}, {"adds negatives", true}};
  CHECK(run_selfcheck(ctx, {.names = {"01"}, .mutant_runs = 1, .coverage = false}) == kExitFailures);
  CHECK_THAT(out.str(), Catch::Contains("01-adder: mutant.subtracts (noise, seed 1) FAILED\n  not caught: every test passed"));
}

TEST_CASE("selfcheck reuses a result when nothing it depends on changed; --fresh runs everything", "[stages][commands]") {
  AdderCourse course;
  FakeProcessRunner runner;
  script(runner);
  SelfcheckOptions options{.names = {"01"}, .mutant_runs = 1, .coverage = false};
  auto test_runs = [&] {
    int n = 0;
    for (const auto& c : runner.calls()) n += c.argv.size() > 1 && c.argv[0].find("/bin/01-adder/") != std::string::npos;
    return n;
  };
  std::ostringstream first, second, third, fourth;
  Context ctx1{course.paths, runner, first};
  REQUIRE(run_selfcheck(ctx1, options) == kExitPass);
  const int after_first = test_runs();
  CHECK(after_first > 0);

  Context ctx2{course.paths, runner, second};
  REQUIRE(run_selfcheck(ctx2, options) == kExitPass);
  CHECK(test_runs() == after_first);  // nothing listed, nothing run
  CHECK_THAT(second.str(), Catch::Contains("5 of 5 results reused: nothing they depend on changed since they ran"));
  CHECK_THAT(second.str(), Catch::Contains("01-adder                   ok    solution: plain pass, tsan pass, noise pass | "
                                           "coverage - | stub fails 1/2 tests | mutants caught 1/1 runs"));

  // A rebuilt binary (its tests or code changed) runs again; the others are kept.
  runner.relink = {"01-adder.exercise"};
  Context ctx3{course.paths, runner, third};
  REQUIRE(run_selfcheck(ctx3, options) == kExitPass);
  CHECK_THAT(third.str(), Catch::Contains("4 of 5 results reused"));

  // A surprise is never kept: a mutant that got through runs again next time.
  runner.relink = {"01-adder.mutant.subtracts"};
  runner.tests_of["01-adder/mutant.subtracts"] = {{"adds", true}, {"adds negatives", true}};
  std::ostringstream escaped, again;
  Context ctx_escaped{course.paths, runner, escaped};
  CHECK(run_selfcheck(ctx_escaped, options) == kExitFailures);
  Context ctx_again{course.paths, runner, again};
  CHECK(run_selfcheck(ctx_again, options) == kExitFailures);
  CHECK_THAT(again.str(), Catch::Contains("4 of 5 results reused"));
  runner.tests_of["01-adder/mutant.subtracts"] = {{"adds", false}, {"adds negatives", false}};

  options.reuse_results = false;
  Context ctx4{course.paths, runner, fourth};
  const int before_fresh = test_runs();
  REQUIRE(run_selfcheck(ctx4, options) == kExitPass);
  CHECK(test_runs() > before_fresh);
  CHECK_THAT(fourth.str(), !Catch::Contains("reused"));
}

TEST_CASE("selfcheck's own seed stays while the course's files do, and changes with any edit", "[stages]") {
  AdderCourse course;
  auto seed = course_seed(course.paths);
  CHECK(course_seed(course.paths) == seed);
  CHECK(seed < 1000000);
  write_file(course.root / "tests/01-adder/adder_test.cpp", "TEST_CASE(\"adds\", \"[req:1]\") { CHECK(true); }\n");
  auto after_test_edit = course_seed(course.paths);
  CHECK(after_test_edit != seed);
  write_file(course.root / "solutions/01-adder/adder.cpp", "int add(int a, int b) { return b + a; }\n");
  CHECK(course_seed(course.paths) != after_test_edit);
}

namespace {

// Plays the course, and holds the tsan tree's build until a test of the plain
// tree has run (or 5 s pass): the build waits on the tests, so it can only end
// if they run beside it.
// Holds the build that `held` picks (at most 5 s) until a test of `first`
// (a binary's path ends with it) has run: that build can only end at once if
// it runs beside those tests.
class BuildBesideRunner : public FakeProcessRunner {
 public:
  BuildBesideRunner(std::function<bool(const std::vector<std::string>& argv)> held, std::string first)
      : held_(std::move(held)), first_(std::move(first)) {}
  std::atomic<bool> first_test_ran{false}, held_build_saw_a_test{false};

  ProcessResult run(const ProcessSpec& spec) override {
    const auto& a = spec.argv;
    if (a.size() >= 3 && a[0] == "cmake" && a[1] == "--build" && held_(a)) {
      for (int i = 0; i < 500 && !first_test_ran; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      held_build_saw_a_test = first_test_ran.load();
    }
    if (a.size() >= 2 && a[0].size() >= first_.size() && a[0].compare(a[0].size() - first_.size(), first_.size(), first_) == 0 &&
        a[1] != "--list-test-names-only")
      first_test_ran = true;
    return FakeProcessRunner::run(spec);
  }

 private:
  std::function<bool(const std::vector<std::string>&)> held_;
  std::string first_;
};

bool builds_tsan(const std::vector<std::string>& argv) { return fs::path(argv[2]).filename() == "tsan"; }

}  // namespace

TEST_CASE("the plain tree's tests run while the other trees build at idle priority; under --run-as every tree is built first",
          "[stages]") {
  AdderCourse course;
  BuildBesideRunner runner(builds_tsan, "plain/bin/01-adder/solution");
  script(runner);
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  const std::vector<Subject> subjects{{&course.adder(), "solution", &default_profile(), 1},
                                      {&course.adder(), "solution", find_profile("tsan"), 1}};
  auto results = grade(ctx, subjects, terminal_progress(out, false));
  CHECK(results.at(0).verdict == Verdict::pass);
  CHECK(results.at(1).verdict == Verdict::pass);
  CHECK(runner.held_build_saw_a_test);
  for (const auto& c : runner.calls())
    if (c.argv.size() >= 3 && c.argv[1] == "--build") CHECK(c.background == (fs::path(c.argv[2]).filename() == "tsan"));
  CHECK(out.str() == "building 1 test binary (plain)...\nbuilding 1 test binary (tsan)...\nrunning 2 test cases...\n"
                     "running 2 test cases...\n");

  BuildBesideRunner as_user(builds_tsan, "plain/bin/01-adder/solution");
  script(as_user);
  Context sandboxed{course.paths, as_user, out, err};
  sandboxed.run_as = RunAs{::getuid(), ::getgid()};
  results = grade(sandboxed, subjects);
  CHECK(results.at(1).verdict == Verdict::pass);
  CHECK_FALSE(as_user.held_build_saw_a_test);
  auto calls = as_user.calls();
  auto is_build = [](const ProcessSpec& c) { return c.argv.size() >= 2 && c.argv[1] == "--build"; };
  auto last_build = std::find_if(calls.rbegin(), calls.rend(), is_build).base();
  CHECK(std::none_of(calls.begin(), last_build, [](const ProcessSpec& c) {
    return c.argv.size() >= 2 && c.argv[0].find("/bin/") != std::string::npos && c.argv[1] != "--list-test-names-only";
  }));
  CHECK(std::none_of(calls.begin(), calls.end(), [](const ProcessSpec& c) { return c.background; }));
}

TEST_CASE("the plain tree's mutants build while its solution's tests run, with a log of their own", "[stages]") {
  AdderCourse course;
  auto builds_mutant = [](const std::vector<std::string>& argv) {
    return std::find(argv.begin(), argv.end(), "01-adder.mutant.subtracts") != argv.end();
  };
  BuildBesideRunner runner(builds_mutant, "plain/bin/01-adder/solution");
  script(runner);
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  StageTimes times;
  auto results = grade(ctx,
                       {{&course.adder(), "mutant.subtracts", &default_profile(), 1, true},
                        {&course.adder(), "solution", &default_profile(), 1},
                        {&course.adder(), "mutant.subtracts", find_profile("tsan"), 1, true}},
                       terminal_progress(out, false), &times);
  CHECK(results.at(0).verdict == Verdict::fail);
  CHECK(results.at(1).verdict == Verdict::pass);
  CHECK(results.at(2).verdict == Verdict::fail);
  CHECK(runner.held_build_saw_a_test);
  // Three builds, in order: the solution's in the foreground, then the mutants' of each tree beside the tests.
  std::vector<std::pair<std::string, bool>> builds;
  for (const auto& c : runner.calls())
    if (c.argv.size() >= 3 && c.argv[1] == "--build") builds.emplace_back(fs::path(c.argv[2]).filename().string() + " " + c.argv.back(), c.background);
  CHECK(builds == std::vector<std::pair<std::string, bool>>{{"plain 01-adder.solution", false},
                                                            {"plain 01-adder.mutant.subtracts", true},
                                                            {"tsan 01-adder.mutant.subtracts", true}});
  CHECK(out.str() == "building 1 test binary (plain)...\nbuilding 1 test binary (plain)...\nbuilding 1 test binary (tsan)...\n"
                     "running 2 test cases...\nrunning 2 test cases...\nrunning 2 test cases...\n");
  CHECK(times.build_beside > 0);
  CHECK(fs::exists(course.root / "build/plain/last-build.log"));
  CHECK(fs::exists(course.root / "build/plain/last-build-mutants.log"));
}

TEST_CASE_METHOD(ScriptedCourse, "a binary's tests are listed once, however many subjects run it", "[stages]") {
  auto results = grade(ctx, {{&course.adder(), "mutant.subtracts", &default_profile(), 1, true},
                             {&course.adder(), "mutant.subtracts", &default_profile(), 2, true},
                             {&course.adder(), "mutant.subtracts", find_profile("noise"), 3, true},
                             {&course.adder(), "solution", &default_profile(), 1}});
  REQUIRE(results.size() == 4);
  for (const auto& r : results) CHECK_FALSE(r.tests.empty());
  std::map<std::string, int> listings;
  for (const auto& c : runner.calls())
    if (c.argv.size() >= 2 && c.argv[1] == "--list-test-names-only") ++listings[fs::path(c.argv[0]).filename().string()];
  CHECK(listings == std::map<std::string, int>{{"mutant.subtracts", 1}, {"solution", 1}});
}
