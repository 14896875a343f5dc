// selfcheck: the repository proves its own tests. For every exercise:
//   metadata    kata.json is valid, the learner's files exist on both sides
//   names       every test name can be selected alone
//   solution    passes every test under each profile it lists
//   stub        compiles and fails at least one test (a timeout counts)
//   mutants     each fails at least one test under its profile, in every run
//   coverage    the solution's tests cover at least 95% of its lines
//   requirements  every numbered requirement of the README has a test tagged [req:N]
#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <unistd.h>

#include "commands/commands.hpp"
#include "pipeline/grade.hpp"
#include "report/table.hpp"
#include "select/metadata_lint.hpp"
#include "select/selection.hpp"
#include "select/test_names.hpp"

namespace grader {
namespace fs = std::filesystem;

namespace {

constexpr double kMinimumCoverage = 95.0;  // percent of the solution's lines

struct Check {
  std::string slug;
  std::string what;  // "solution (tsan)", "mutant lock_in_argument_order run 2"
  bool passed = false;
  std::string why;
};

std::string first_failure(const ExerciseResult& r) {
  if (!r.message.empty()) return r.message;
  for (const auto& t : r.tests)
    if (t.status != TestStatus::pass) return std::string(to_string(t.status)) + ": " + t.name + "\n" + t.message;
  return "";
}

// Every test of a result can be selected alone by its name.
Check test_names_check(const ExerciseResult& r) {
  std::vector<std::string> names;
  for (const auto& t : r.tests) names.push_back(t.name);
  auto lint = lint_test_names(names);
  std::string why;
  for (const auto& l : lint) why += (why.empty() ? "" : "\n") + l;
  return {r.slug, "test names", lint.empty(), why};
}

// Where the time went: the stages, then the exercises whose test cases took
// longest (summed over their processes, which overlap).
void print_time_breakdown(std::ostream& out, const std::vector<Subject>& subjects,
                          const std::vector<ExerciseResult>& results, const StageTimes& stages, double total) {
  out << fmt::format("\nselfcheck took {:.0f} s: plan {:.1f} s, build {:.0f} s, run {:.0f} s, collect {:.0f} s\n", total,
                     stages.plan, stages.build, stages.run, stages.collect);
  if (stages.build_beside > 0)
    out << fmt::format("  beside the first tests, the plain tree's mutants and the other trees built in {:.0f} s; "
                       "the run waited {:.0f} s for them\n",
                       stages.build_beside, stages.build_waited);
  if (stages.reused > 0)
    out << fmt::format("{} of {} results reused: nothing they depend on changed since they ran (--fresh runs them all)\n",
                       stages.reused, subjects.size());
  std::map<std::string, std::pair<double, int>> by_exercise;  // slug -> test seconds, test cases
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    auto& [seconds, cases] = by_exercise[results[i].slug];
    for (const auto& t : results[i].tests) {
      seconds += t.seconds;
      cases += t.status != TestStatus::skipped;
    }
  }
  std::vector<std::pair<std::string, std::pair<double, int>>> slowest(by_exercise.begin(), by_exercise.end());
  std::sort(slowest.begin(), slowest.end(), [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  if (slowest.size() > 10) slowest.resize(10);
  if (!slowest.empty()) out << "test time by exercise (summed over its test processes):\n";
  for (const auto& [slug, figures] : slowest)
    out << fmt::format("  {:<28} {:7.1f} s in {} test runs\n", slug, figures.first, figures.second);
}

}  // namespace

unsigned long long course_seed(const Paths& paths) {
  // FNV-1a over every file's path and bytes, in name order.
  std::uint64_t hash = 1469598103934665603ull;
  auto mix = [&](const std::string& bytes) {
    for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  };
  std::vector<fs::path> files;
  for (const auto& dir : {paths.exercises, paths.root / "solutions", paths.tests}) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    mix(fs::relative(file, paths.root).string());
    std::ifstream in(file, std::ios::binary);
    mix(std::string((std::istreambuf_iterator<char>(in)), {}));
  }
  return hash % 1000000;
}

int run_selfcheck(Context& ctx, const SelfcheckOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (!options.seed_given) ctx.seed = course_seed(ctx.paths);
  auto catalog = load_catalog(ctx.paths.exercises);
  std::vector<Check> checks;
  for (const auto& p : catalog.problems) checks.push_back({"catalog", "metadata", false, p});

  // The README's table of exercises is the metadata's, word for word.
  if (options.names.empty() && options.shard_k == 1) {
    std::ifstream readme(ctx.paths.root / "README.md");
    std::stringstream text;
    text << readme.rdbuf();
    const std::string begin = "<!-- exercises:begin -->\n", end = "<!-- exercises:end -->";
    auto b = text.str().find(begin), e = text.str().find(end);
    bool same = b != std::string::npos && e != std::string::npos &&
                text.str().substr(b + begin.size(), e - b - begin.size()) == exercise_table_markdown(catalog.exercises);
    checks.push_back({"README.md", "exercise table", same,
                      "the table between <!-- exercises:begin --> and <!-- exercises:end --> differs from the "
                      "metadata: paste the output of ./kata list --markdown there"});
  }

  auto selection = select_exercises(catalog.exercises, options.names);
  if (!selection.errors.empty()) {
    for (const auto& e : selection.errors) ctx.err << "grader: error: " << e << "\n";
    return kExitUsage;
  }
  auto exercises = shard(selection.exercises, options.shard_k, options.shard_n);

  // What to grade, and which check each result answers.
  std::vector<Subject> subjects;
  std::map<std::string, std::vector<Mutant>> mutants_of;
  for (const auto* ex : exercises) {
    std::vector<std::string> problems;
    auto mutants = load_mutants(ctx.paths.tests, ex->slug, problems);
    auto more = metadata_problems(ctx.paths, *ex, mutants);
    problems.insert(problems.end(), more.begin(), more.end());
    std::string why;
    for (const auto& p : problems) why += (why.empty() ? "" : "\n") + p;
    checks.push_back({ex->slug, "metadata", problems.empty(), why});
    std::string unmet;
    for (const auto& p : requirement_problems(ctx.paths, *ex)) unmet += (unmet.empty() ? "" : "\n") + p;
    checks.push_back({ex->slug, "requirements", unmet.empty(), unmet});

    for (const auto& profile : all_profiles()) {
      if (is_learner_copy(ctx.paths)) break;
      if (profile.measures_coverage) {
        if (options.coverage) subjects.push_back({ex, "solution", &profile, ctx.seed, false, Verdict::pass});
        continue;
      }
      const std::string name(profile.name);
      if (!profile.proven_by_selfcheck || !ex->profiles.count(name)) continue;
      if (!options.profiles.empty() &&
          std::find(options.profiles.begin(), options.profiles.end(), name) == options.profiles.end())
        continue;
      subjects.push_back({ex, "solution", &profile, ctx.seed, false, Verdict::pass});
    }
    subjects.push_back({ex, "exercise", &default_profile(), ctx.seed, false, Verdict::fail});
    for (const auto& m : mutants) {
      const auto* profile = find_profile(m.profile);
      if (!profile || !profile->proven_by_selfcheck) continue;
      for (int run = 1; run <= options.mutant_runs; ++run)
        subjects.push_back({ex, "mutant." + m.name, profile, static_cast<unsigned long long>(run), true, Verdict::fail});
    }
    mutants_of[ex->slug] = mutants;
  }

  ctx.out << fmt::format("selfcheck of {} exercise{} (seed {})\n", exercises.size(), exercises.size() == 1 ? "" : "s", ctx.seed);
  if (is_learner_copy(ctx.paths))
    ctx.out << "a learner's copy (no solutions/): checking that every stub builds and fails its tests\n";
  ctx.reuse_results = options.reuse_results;
  StageTimes stages;
  auto results = grade(ctx, subjects, terminal_progress(ctx.out, isatty(STDOUT_FILENO)), &stages);

  std::vector<ExerciseResult> unexpected;  // results that make a check fail, for the details
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    const auto& s = subjects[i];
    const auto& r = results[i];
    Check c{r.slug, "", false, ""};
    if (s.implementation == "solution" && s.profile->measures_coverage) {
      c.what = fmt::format("coverage of the solution >= {:.0f}%", kMinimumCoverage);
      c.passed = r.verdict == Verdict::pass && r.coverage.measured && r.coverage.line_percent() >= kMinimumCoverage;
      if (r.verdict != Verdict::pass) c.why = "the solution fails under the coverage build: " + first_failure(r);
      else if (!r.coverage.measured) c.why = r.coverage.uncovered;
      else if (!c.passed)
        c.why = fmt::format("{:.1f}% of {} lines; not covered:\n{}", r.coverage.line_percent(), r.coverage.lines_total,
                            r.coverage.uncovered);
    } else if (s.implementation == "solution") {
      c.what = "solution (" + r.profile + ")";
      c.passed = r.verdict == Verdict::pass;
      if (!c.passed) c.why = first_failure(r);
      if (s.profile == &default_profile()) checks.push_back(test_names_check(r));
    } else if (s.implementation == "exercise") {
      if (is_learner_copy(ctx.paths)) {
        checks.push_back(test_names_check(r));
      }
      c.what = "stub fails";
      c.passed = r.verdict == Verdict::fail;
      if (r.verdict == Verdict::pass) c.why = "the stub passes every test: the tests cannot tell it from a solution";
      else if (!c.passed) c.why = "the stub must compile and fail its tests: " + first_failure(r);
    } else {
      c.what = fmt::format("{} ({}, seed {})", s.implementation, r.profile, s.seed);
      c.passed = r.verdict == Verdict::fail;
      if (r.verdict == Verdict::pass) c.why = "not caught: every test passed";
      else if (!c.passed) c.why = "the mutant must build and run: " + first_failure(r);
    }
    if (!c.passed) unexpected.push_back(r);
    checks.push_back(c);
  }

  // One line per exercise, then the failed checks in detail.
  ctx.out << "\n";
  int passed = 0, failed = 0;
  for (const auto* ex : exercises) {
    std::vector<std::string> solution_profiles;
    int stub_failing = 0, stub_total = 0, mutant_runs = 0, mutant_caught = 0, bad = 0;
    std::string coverage = "-";
    for (std::size_t i = 0; i < subjects.size(); ++i) {
      if (subjects[i].exercise != ex) continue;
      const auto& r = results[i];
      if (subjects[i].implementation == "solution" && subjects[i].profile->measures_coverage)
        coverage = r.coverage.measured ? fmt::format("{:.0f}%", r.coverage.line_percent()) : "?";
      else if (subjects[i].implementation == "solution")
        solution_profiles.push_back(r.profile + (r.verdict == Verdict::pass ? " pass" : " FAIL"));
      else if (subjects[i].implementation == "exercise") {
        stub_total = static_cast<int>(r.tests.size());
        stub_failing = stub_total - r.passed();
      } else {
        ++mutant_runs;
        mutant_caught += r.verdict == Verdict::fail;
      }
    }
    for (const auto& c : checks)
      if (c.slug == ex->slug) bad += !c.passed;
    std::string sol;
    for (const auto& p : solution_profiles) sol += (sol.empty() ? "" : ", ") + p;
    ctx.out << fmt::format("{:<26} {}  solution: {} | coverage {} | stub fails {}/{} tests | mutants caught {}/{} runs\n",
                           ex->slug, bad == 0 ? "ok  " : "FAIL", sol, coverage, stub_failing, stub_total, mutant_caught,
                           mutant_runs);
  }
  for (const auto& c : checks) {
    (c.passed ? passed : failed)++;
    if (!c.passed) {
      ctx.out << fmt::format("\n{}: {} FAILED\n", c.slug, c.what);
      std::string why = c.why;
      for (std::size_t at = 0; (at = why.find('\n', at)) != std::string::npos; at += 3) why.replace(at, 1, "\n  ");
      if (!why.empty()) ctx.out << "  " << why << "\n";
    }
  }
  if (!unexpected.empty()) {
    ctx.out << "\ndetails:";
    print_failures(ctx.out, unexpected, 2);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  print_time_breakdown(ctx.out, subjects, results, stages, seconds);
  ctx.out << fmt::format("selfcheck: {} passed, {} failed\n", passed, failed);
  if (!options.summary_file.empty() &&
      !(std::ofstream(options.summary_file) << fmt::format("passed={}\nfailed={}\n", passed, failed)))
    ctx.err << "grader: warning: cannot write " << options.summary_file << "\n";
  return failed == 0 ? kExitPass : kExitFailures;
}

}  // namespace grader
