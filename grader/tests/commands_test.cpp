// The learner's commands (next, hint, reset, solution, watch) and the `given` file
// role, on the fake process runner: what each prints, what it writes, and
// which programs it asks.
#include <catch2/catch.hpp>

#include <deque>
#include <filesystem>
#include <functional>
#include <sstream>

#include "adder_course.hpp"
#include "commands/changes.hpp"
#include "commands/commands.hpp"
#include "fake_process_runner.hpp"
#include "pipeline/grade.hpp"
#include "select/metadata_lint.hpp"
#include "state/progress.hpp"
#include "text_file.hpp"

using namespace grader;
namespace fs = std::filesystem;

namespace {

// git, as reset asks it: no origin, a HEAD that holds the stubs.
void script_git(FakeProcessRunner& runner) {
  runner.output_of[{"git", "rev-parse", "--verify", "--quiet", "HEAD^{commit}"}] = "0123abcd\n";
  runner.output_of[{"git", "show", "HEAD:exercises/01-adder/adder.cpp"}] = "int add(int a, int b) { return 0; }\n";
  runner.output_of[{"git", "show", "HEAD:exercises/01-adder/adder.hpp"}] = "int add(int a, int b);\n";
}

std::vector<std::string> only_backup_dir(const fs::path& root) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(root / ".kata/backup")) names.push_back(entry.path().filename());
  return names;
}

}  // namespace

TEST_CASE("kata.json's given files are parsed apart from the files to edit", "[catalog]") {
  AdderCourse course;
  CHECK(course.adder().files == std::vector<std::string>{"adder.cpp"});
  CHECK(course.adder().given == std::vector<std::string>{"adder.hpp"});
  CHECK(course.adder().sources() == std::vector<std::string>{"adder.cpp", "adder.hpp"});

  Exercise bad;
  std::string why;
  CHECK_FALSE(parse_exercise(R"({"schema_version": 1, "title": "T", "module": "threads", "blurb": "B",
    "question": {"ru": "Что?", "en": "What?"}, "files": ["a.cpp"], "given": "a.hpp"})",
                             "x", bad, why));
  CHECK(why == "\"given\" must be an array of strings");
}

TEST_CASE("the metadata check: a given file is not also to edit, exists, and has an identical twin in solutions/",
          "[catalog]") {
  AdderCourse course;
  CHECK(metadata_problems(course.paths, course.adder(), {{"subtracts", "plain", "subtracts"}}).empty());

  auto ex = course.adder();
  ex.given = {"adder.cpp", "adder.hpp", "missing.hpp"};
  write_file(course.root / "solutions/01-adder/adder.hpp", "int add(int a, int b);  // drifted\n");
  CHECK(metadata_problems(course.paths, ex, {{"subtracts", "plain", "subtracts"}}) ==
        std::vector<std::string>{
            "adder.cpp is in both \"files\" and \"given\" of exercises/01-adder/kata.json",
            "solutions/01-adder/adder.cpp differs from exercises/01-adder/adder.cpp: a given file's twin is the same file",
            "solutions/01-adder/adder.hpp differs from exercises/01-adder/adder.hpp: a given file's twin is the same file",
            "exercises/01-adder/missing.hpp is missing",
            "solutions/01-adder/missing.hpp is missing",
        });
}

TEST_CASE("a pull request's change to a given file is ignored, never taken", "[commands]") {
  AdderCourse course;
  auto changes = sort_changes(course.catalog, {"exercises/01-adder/adder.hpp", "exercises/01-adder/adder.cpp"});
  CHECK(changes.take == std::vector<std::string>{"exercises/01-adder/adder.cpp"});
  CHECK(changes.ignore == std::vector<std::string>{"exercises/01-adder/adder.hpp"});

  auto only_given = sort_changes(course.catalog, {"exercises/01-adder/adder.hpp"});
  CHECK(only_given.exercises.empty());  // nothing of the learner's changed: nothing to grade
}

TEST_CASE("the forbidden-symbol scan reads the given files too", "[stages]") {
  AdderCourse course;
  write_file(course.root / "exercises/01-adder/adder.hpp",
             "#include <thread>\nvoid nap() { std::this_thread::sleep_for(1ms); }\n");
  FakeProcessRunner runner;
  std::ostringstream out;
  Context ctx{course.paths, runner, out};
  auto plan = plan_stage(ctx, {{&course.adder(), "exercise", &default_profile(), 1}});
  CHECK(plan.results[0].verdict == Verdict::forbidden);
  CHECK(plan.results[0].message ==
        "exercises/01-adder/adder.hpp:2: 'sleep_for' is not allowed here: Nothing to wait for.");
}

TEST_CASE("next: the given files are to read, the others to edit", "[commands]") {
  AdderCourse course;
  FakeProcessRunner runner;
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  CHECK(run_next(ctx) == kExitPass);
  CHECK(out.str() ==
        "01-adder: Adding\n\n"
        "  Как сложить два числа?\n  How to add two numbers?\n\n"
        "  Add two numbers.\n\n"
        "  read:  exercises/01-adder/README.md\n"
        "  read:  exercises/01-adder/adder.hpp\n"
        "  edit:  exercises/01-adder/adder.cpp\n"
        "  check: ./kata check 01-adder   (or ./kata watch)\n");
  CHECK(err.str().empty());
  CHECK(runner.calls().empty());
}

namespace {

// What one hint command ended with: its exit code, stdout and stderr.
struct HintRun {
  int code;
  std::string out, err;
  bool operator==(const HintRun&) const = default;
};

std::ostream& operator<<(std::ostream& os, const HintRun& run) {
  return os << "exit " << run.code << ", stdout \"" << run.out << "\", stderr \"" << run.err << "\"";
}

HintRun hint(const AdderCourse& course, FakeProcessRunner& runner, const HintOptions& options) {
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  int code = run_hint(ctx, options);
  return {code, out.str(), err.str()};
}

// The course's exercise has two hints.
const std::string kFirstHint = "\nhint 1 of 2: Think of +.\n";
const std::string kSecondHint = "\nhint 2 of 2: return a + b;\n";
const std::string kAnotherHint = "\nAnother hint: ./kata hint 01-adder   (all at once: --all)\n";

// A hint command that passed, having printed the title and then `hints`.
HintRun shown(const std::string& hints) { return {kExitPass, "01-adder: Adding\n" + hints, ""}; }

int hints_shown(const AdderCourse& course) {
  return Progress::load(course.root / ".kata/progress.json").get("01-adder").hints_shown;
}

}  // namespace

TEST_CASE("hint: one more each time, and the last again once all are shown", "[commands]") {
  AdderCourse course;
  FakeProcessRunner runner;
  CHECK(hint(course, runner, {.name = "01"}) == shown(kFirstHint + kAnotherHint));
  CHECK(hints_shown(course) == 1);
  CHECK(hint(course, runner, {.name = "adder"}) == shown(kFirstHint + kSecondHint));
  CHECK(hints_shown(course) == 2);
  CHECK(hint(course, runner, {.name = "01-adder"}) == shown(kFirstHint + kSecondHint));
  CHECK(hints_shown(course) == 2);
  CHECK(runner.calls().empty());  // hints build and run nothing
}

TEST_CASE("hint: --level shows that many, at most all, and a smaller level forgets nothing shown", "[commands]") {
  AdderCourse course;
  FakeProcessRunner runner;
  CHECK(hint(course, runner, {.name = "01", .level = 1}) == shown(kFirstHint + kAnotherHint));
  CHECK(hints_shown(course) == 1);
  CHECK(hint(course, runner, {.name = "01", .level = 5}) == shown(kFirstHint + kSecondHint));
  CHECK(hints_shown(course) == 2);
  CHECK(hint(course, runner, {.name = "01", .level = 1}) == shown(kFirstHint + kAnotherHint));
  CHECK(hints_shown(course) == 2);
  CHECK(runner.calls().empty());
}

TEST_CASE("hint: --all shows every hint at once, and the next call shows them all again", "[commands]") {
  AdderCourse course;
  FakeProcessRunner runner;
  CHECK(hint(course, runner, {.name = "01", .all = true}) == shown(kFirstHint + kSecondHint));
  CHECK(hints_shown(course) == 2);
  CHECK(hint(course, runner, {.name = "01"}) == shown(kFirstHint + kSecondHint));
  CHECK(runner.calls().empty());
}

TEST_CASE("hint: an unknown exercise is a usage error on stderr, and nothing is recorded", "[commands]") {
  AdderCourse course;
  FakeProcessRunner runner;
  CHECK(hint(course, runner, {.name = "99"}) ==
        HintRun{kExitUsage, "", "grader: error: unknown exercise '99' (./kata list shows them all)\n"});
  CHECK(hint(course, runner, {.name = "addr"}) ==
        HintRun{kExitUsage, "", "grader: error: unknown exercise 'addr', did you mean '01-adder'?\n"});
  CHECK_FALSE(fs::exists(course.root / ".kata/progress.json"));
}

TEST_CASE("reset: the stub and the given files from git, and the learner's files kept in .kata/backup", "[commands]") {
  AdderCourse course;
  write_file(course.root / "exercises/01-adder/adder.cpp", "int add(int a, int b) { return a + b; }  // mine\n");
  write_file(course.root / "exercises/01-adder/adder.hpp", "int add(int a, int b);  // changed anyway\n");
  course.mark_done();
  FakeProcessRunner runner;
  script_git(runner);
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  CHECK(run_reset(ctx, {.name = "01", .yes = true}) == kExitPass);
  CHECK(err.str().empty());

  auto backups = only_backup_dir(course.root);
  REQUIRE(backups.size() == 1);
  CHECK_THAT(backups[0], Catch::StartsWith("01-adder-"));
  CHECK(out.str() == "exercises/01-adder is its stub again; your files are in .kata/backup/" + backups[0] + "\n");
  CHECK(read_text_file(course.root / "exercises/01-adder/adder.cpp") == "int add(int a, int b) { return 0; }\n");
  CHECK(read_text_file(course.root / "exercises/01-adder/adder.hpp") == "int add(int a, int b);\n");
  auto backup = course.root / ".kata/backup" / backups[0];
  CHECK(read_text_file(backup / "adder.cpp") == "int add(int a, int b) { return a + b; }  // mine\n");
  CHECK(read_text_file(backup / "adder.hpp") == "int add(int a, int b);  // changed anyway\n");
  CHECK_FALSE(Progress::load(course.root / ".kata/progress.json").get("01-adder").done);

  // origin's branches first (a learner's own commits may hold their work), then HEAD
  std::vector<std::string> revisions;
  for (const auto& c : runner.calls())
    if (c.argv.at(1) == "rev-parse") revisions.push_back(c.argv.at(4));
  CHECK(revisions == std::vector<std::string>{"origin/HEAD^{commit}", "origin/main^{commit}", "HEAD^{commit}"});
}

TEST_CASE("reset: a stub file git does not have changes nothing, and says which", "[commands]") {
  AdderCourse course;
  write_file(course.root / "exercises/01-adder/adder.cpp", "int add(int a, int b) { return a + b; }  // mine\n");
  FakeProcessRunner runner;
  script_git(runner);
  runner.output_of.erase({"git", "show", "HEAD:exercises/01-adder/adder.hpp"});
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  CHECK(run_reset(ctx, {.name = "adder", .yes = true}) == kExitFailures);
  CHECK(err.str() == "grader: error: exercises/01-adder/adder.hpp is not in HEAD\n");
  CHECK(out.str().empty());
  CHECK(read_text_file(course.root / "exercises/01-adder/adder.cpp") ==
        "int add(int a, int b) { return a + b; }  // mine\n");
  CHECK_FALSE(fs::exists(course.root / ".kata/backup"));
}

TEST_CASE("reset: without git history, or of an unknown exercise, it is a usage error", "[commands]") {
  AdderCourse course;
  FakeProcessRunner runner;  // git answers nothing
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  CHECK(run_reset(ctx, {.name = "01", .yes = true}) == kExitUsage);
  CHECK(err.str() == "grader: error: reset needs git history (no origin/main or HEAD here)\n");

  std::ostringstream out2, err2;
  Context ctx2{course.paths, runner, out2, err2};
  CHECK(run_reset(ctx2, {.name = "99", .yes = true}) == kExitUsage);
  CHECK_THAT(err2.str(), Catch::StartsWith("grader: error: "));
  CHECK(out.str().empty());
  CHECK(out2.str().empty());
}

TEST_CASE("solution: shown once the exercise passes (or with --force), the learner's files only", "[commands]") {
  AdderCourse course;
  FakeProcessRunner runner;
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  CHECK(run_solution(ctx, {.name = "01"}) == kExitFailures);
  CHECK(out.str() ==
        "Solve it first: the solution is shown once ./kata check 01-adder passes.\n"
        "(It is in solutions/01-adder/ all along; --force shows it now.)\n");

  std::ostringstream forced;
  Context ctx_forced{course.paths, runner, forced, err};
  CHECK(run_solution(ctx_forced, {.name = "01", .force = true}) == kExitPass);
  const std::string shown =
      "==> solutions/01-adder/adder.cpp\n"
      "int add(int a, int b) { return a + b; }\n\n";
  CHECK(forced.str() == shown);

  course.mark_done();
  std::ostringstream done;
  Context ctx_done{course.paths, runner, done, err};
  CHECK(run_solution(ctx_done, {.name = "01"}) == kExitPass);
  CHECK(done.str() == shown);
  CHECK(err.str().empty());
  CHECK(runner.calls().empty());
}

TEST_CASE("solution: a learner's copy has none, and says so", "[commands]") {
  AdderCourse course;
  fs::remove_all(course.root / "solutions");
  FakeProcessRunner runner;
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  CHECK(run_solution(ctx, {.name = "01", .force = true}) == kExitFailures);
  CHECK(out.str() == "This copy of the course has no solutions/ folder.\n");
  CHECK(err.str().empty());
}

namespace {

// Watch's input from a script: each wait runs the next step, which saves files
// (returning them) or presses a key.
struct ScriptedInput : WatchInput {
  struct Step {
    std::function<std::set<fs::path>()> save;  // empty: a key instead
    char key = 0;
  };
  std::deque<Step> steps;
  std::vector<fs::path> watched;
  char pending = 0;

  void start(const std::vector<fs::path>& dirs) override { watched = dirs; }
  bool polling() const override { return true; }
  std::set<fs::path> wait(bool& key_ready) override {
    REQUIRE_FALSE(steps.empty());  // watch waits only as often as the script says
    auto step = steps.front();
    steps.pop_front();
    key_ready = !step.save;
    if (step.save) return step.save();
    pending = step.key;
    return {};
  }
  bool read_key(char& key) override {
    key = pending;
    return true;
  }
  bool terminal() const override { return false; }
};

// watch on the course, whose stub fails its one test, with one job, and
// with its input from a script.
struct Watching {
  AdderCourse course;
  FakeProcessRunner runner;
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  ScriptedInput input;

  Watching() {
    runner.tests_of["01-adder/exercise"] = {{"adds", false}};
    ctx.jobs = 1;
  }
};

int builds(FakeProcessRunner& runner) {
  int n = 0;
  for (const auto& c : runner.calls()) n += c.argv.size() > 1 && c.argv[0] == "cmake" && c.argv[1] == "--build";
  return n;
}

}  // namespace

TEST_CASE_METHOD(Watching, "watch: a save grades the exercise again and shows the new verdict, and q quits",
                 "[commands]") {
  const auto file = course.root / "exercises/01-adder/adder.cpp";
  std::string before_save;
  input.steps.push_back({[&] {
    before_save = out.str();
    write_file(file, "int add(int a, int b) { return a + b; }\n");
    runner.tests_of["01-adder/exercise"] = {{"adds", true}};
    runner.relink.insert("01-adder.exercise");
    return std::set<fs::path>{file};
  }});
  input.steps.push_back({{}, 'q'});

  CHECK(run_watch(ctx, "", input) == kExitPass);
  CHECK(input.steps.empty());
  CHECK(input.watched == std::vector<fs::path>{course.paths.exercises / "01-adder"});
  CHECK(builds(runner) == 2);
  CHECK(err.str().empty());

  // The first round: the stub fails, and the legend says how to go on.
  CHECK_THAT(before_save, Catch::StartsWith("01-adder: Adding\n"
                                            "  Как сложить два числа?\n  How to add two numbers?\n"
                                            "  read: exercises/01-adder/README.md\n\n"));
  CHECK_THAT(before_save, Catch::Contains("41 == 42"));
  CHECK_THAT(before_save, Catch::Contains("Press h for a hint.\n"));
  CHECK_THAT(before_save, Catch::EndsWith("\nwatching exercises/01-adder (polling): save a file to re-check.  "
                                          "[n]ext  [h]int  [l]ist  [r]e-run  [a]ll  [q]uit\n"));
  // The save: graded again, and now it passes.
  auto after_save = out.str().substr(before_save.size());
  CHECK_THAT(after_save, Catch::StartsWith("01-adder: Adding\n"));
  CHECK_THAT(after_save, Catch::Contains("Passed! Press n for the next exercise.\n"));
  CHECK_THAT(after_save, !Catch::Contains("41 == 42"));
  CHECK(Progress::load(course.root / ".kata/progress.json").get("01-adder").done);
}

TEST_CASE_METHOD(Watching, "watch: a save of a file that is not the exercise's grades nothing", "[commands]") {
  input.steps.push_back({[&] {
    auto notes = course.root / "exercises/01-adder/notes.txt";
    write_file(notes, "to do\n");
    return std::set<fs::path>{notes};
  }});
  input.steps.push_back({{}, 'q'});
  CHECK(run_watch(ctx, "01", input) == kExitPass);
  CHECK(builds(runner) == 1);
}

TEST_CASE("changed: against the merge base, the learner's files taken, every other named ignored", "[commands]") {
  AdderCourse course;
  FakeProcessRunner runner;
  runner.output_of[{"git", "merge-base", "main", "pr"}] = "base123\n";
  using namespace std::string_literals;
  runner.output_of[{"git", "diff", "--name-only", "--no-renames", "-z", "base123", "pr", "--"}] =
      "exercises/01-adder/adder.cpp\0tests/01-adder/adder_test.cpp\0evil\ntake tests/x\0"s;
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  CHECK(run_changed(ctx, {.base = "main", .head = "pr"}) == kExitPass);
  CHECK(out.str() ==
        "exercise 01-adder\n"
        "take exercises/01-adder/adder.cpp\n"
        "ignore tests/01-adder/adder_test.cpp\n"
        "ignore evil\ntake tests/x\n");  // a name with a newline: why scripts read -z
  std::ostringstream records;
  Context nul_ctx{course.paths, runner, records, err};
  CHECK(run_changed(nul_ctx, {.base = "main", .head = "pr", .nul = true}) == kExitPass);
  CHECK(records.str() ==
        "exercise 01-adder\0take exercises/01-adder/adder.cpp\0ignore tests/01-adder/adder_test.cpp\0"
        "ignore evil\ntake tests/x\0"s);
  CHECK(err.str().empty());
}

TEST_CASE("changed: a revision git does not know is a usage error on stderr", "[commands]") {
  AdderCourse course;
  FakeProcessRunner runner;  // git answers 128 to anything not scripted
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  CHECK(run_changed(ctx, {.base = "main", .head = "nope"}) == kExitUsage);
  CHECK(out.str().empty());
  CHECK(err.str() == "grader: error: git merge-base main nope failed:\n\n");
}

namespace {

// git, as take asks it about a pull request "pr" against "main": the changed
// paths (NUL-separated), and the head's tree entry ("<mode> blob <sha>") of adder.cpp.
void script_pull_request(FakeProcessRunner& runner, const std::string& changed, const std::string& adder_entry) {
  runner.output_of[{"git", "merge-base", "main", "pr"}] = "base1234567890\n";
  runner.output_of[{"git", "diff", "--name-only", "--no-renames", "-z", "base1234567890", "pr", "--"}] = changed;
  runner.output_of[{"git", "ls-tree", "-z", "pr", "--", "exercises/01-adder/adder.cpp"}] =
      adder_entry + "\texercises/01-adder/adder.cpp" + std::string(1, '\0');
}

}  // namespace

TEST_CASE("take: writes the learner's file from the head as a blob; a given file and a test are ignored", "[commands]") {
  AdderCourse course;
  FakeProcessRunner runner;
  using namespace std::string_literals;
  script_pull_request(runner, "exercises/01-adder/adder.cpp\0exercises/01-adder/adder.hpp\0tests/01-adder/adder_test.cpp\0"s,
                      "100644 blob abc123");
  runner.output_of[{"git", "cat-file", "blob", "abc123"}] = "int add(int a, int b) { return a + b; }\n";
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  auto exercises = course.root / "exercises.txt", ignored = course.root / "ignored.md";
  CHECK(run_take(ctx, {"main", "pr", exercises.string(), ignored.string()}) == kExitPass);
  CHECK(out.str() == "take: 1 exercise(s), 1 file(s) taken, 0 refused, 2 ignored (merge base base12345678)\n");
  CHECK(err.str().empty());
  CHECK(read_text_file(course.root / "exercises/01-adder/adder.cpp") == "int add(int a, int b) { return a + b; }\n");
  CHECK(read_text_file(course.root / "exercises/01-adder/adder.hpp") == "int add(int a, int b);\n");  // the base's
  CHECK(read_text_file(exercises) == "01-adder\0"s);
  auto ignored_text = read_text_file(ignored);
  CHECK_THAT(ignored_text, Catch::Contains("- ` exercises/01-adder/adder.hpp `\n- ` tests/01-adder/adder_test.cpp `\n"));
}

TEST_CASE("take: a learner file that is a link in the pull request becomes a build error that says so", "[commands]") {
  AdderCourse course;
  FakeProcessRunner runner;
  using namespace std::string_literals;
  script_pull_request(runner, "exercises/01-adder/adder.cpp\0"s, "120000 blob def456");
  std::ostringstream out, err;
  Context ctx{course.paths, runner, out, err};
  auto exercises = course.root / "exercises.txt", ignored = course.root / "ignored.md";
  CHECK(run_take(ctx, {"main", "pr", exercises.string(), ignored.string()}) == kExitPass);
  CHECK(out.str() == "take: 1 exercise(s), 0 file(s) taken, 1 refused, 0 ignored (merge base base12345678)\n");
  CHECK(read_text_file(course.root / "exercises/01-adder/adder.cpp") ==
        "#error \"exercises/01-adder/adder.cpp is not a regular file in the pull request (git mode 120000): only "
        "regular files (mode 100644) are graded\"\n");
  CHECK(read_text_file(ignored).empty());
}

TEST_CASE("list: the README's table with --markdown, else each module's exercises with points and status", "[commands]") {
  AdderCourse course;
  FakeProcessRunner runner;
  std::ostringstream table, plain, err;
  Context markdown_ctx{course.paths, runner, table, err};
  CHECK(run_list(markdown_ctx, {.markdown = true}) == kExitPass);
  CHECK(table.str() ==
        "| # | exercise | module | question |\n"
        "|---|---|---|---|\n"
        "| 01 | [adder](exercises/01-adder/README.md) | basics | Как сложить два числа? |\n");
  Context ctx{course.paths, runner, plain, err};
  CHECK(run_list(ctx, {}) == kExitPass);
  CHECK_THAT(plain.str(), Catch::StartsWith("\nbasics\n"));
  CHECK_THAT(plain.str(), Catch::Contains("01-adder") && Catch::Contains("10 pts  Adding"));
  CHECK(err.str().empty());
  CHECK(runner.calls().empty());  // listing builds and runs nothing
}
