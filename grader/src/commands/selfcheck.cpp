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

#include "commands/commands.hpp"
#include "commands/grade.hpp"
#include "report/table.hpp"
#include "select/requirements.hpp"
#include "select/selection.hpp"
#include "select/test_names.hpp"

namespace grader {
namespace fs = std::filesystem;

namespace {

const std::set<std::string> kBuildableProfiles{"plain", "tsan", "asan", "noise", "explore"};
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

// A learner's copy (./kata export) has no solutions/ and no mutants: its
// self-check proves that every stub builds and fails its tests.
bool is_learner_copy(const Paths& paths) { return !fs::exists(paths.root / "solutions"); }

std::vector<std::string> metadata_problems(const Paths& paths, const Exercise& ex, const std::vector<Mutant>& mutants) {
  std::vector<std::string> problems;
  const bool full = !is_learner_copy(paths);
  for (const auto& f : ex.files) {
    if (!fs::exists(paths.exercises / ex.slug / f)) problems.push_back("exercises/" + ex.slug + "/" + f + " is missing");
    if (full && !fs::exists(paths.root / "solutions" / ex.slug / f))
      problems.push_back("solutions/" + ex.slug + "/" + f + " is missing");
  }
  if (!fs::exists(paths.exercises / ex.slug / "README.md")) problems.push_back("exercises/" + ex.slug + "/README.md is missing");
  // The question is quoted in Russian: Cyrillic letters are two UTF-8 bytes starting 0xD0 or 0xD1.
  if (std::none_of(ex.question_ru.begin(), ex.question_ru.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u == 0xD0 || u == 0xD1;
      }))
    problems.push_back("question.ru is not in Russian");
  if (ex.hints.size() < 2) problems.push_back("fewer than 2 hints");
  if (full && mutants.empty()) problems.push_back("no mutants in tests/" + ex.slug + "/mutants/");
  // A coverage exclusion must say why: "// LCOV_EXCL_LINE: <reason>" or
  // "// LCOV_EXCL_START: <reason>" (the STOP that ends a block needs none).
  for (const auto& f : ex.files) {
    std::ifstream in(paths.root / "solutions" / ex.slug / f);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      auto at = line.find("LCOV_EXCL_");
      if (at == std::string::npos || line.compare(at, 15, "LCOV_EXCL_STOP") == 0) continue;
      auto colon = line.find(':', at);
      if (colon == std::string::npos || line.find_first_not_of(" ", colon + 1) == std::string::npos)
        problems.push_back(fmt::format("solutions/{}/{}:{}: a coverage exclusion without a reason "
                                       "(write LCOV_EXCL_LINE: why)", ex.slug, f, n));
    }
  }
  for (const auto& m : mutants)
    if (!kBuildableProfiles.count(m.profile))
      problems.push_back("mutant " + m.name + ": profile '" + m.profile + "' cannot be built (plain, tsan, asan, noise, explore)");
  return problems;
}

// Every numbered requirement of the README is checked by a test tagged
// [req:N], and every such tag names a requirement.
Check requirements_check(const Paths& paths, const Exercise& ex) {
  std::ifstream readme(paths.exercises / ex.slug / "README.md");
  std::stringstream text;
  text << readme.rdbuf();
  std::set<int> tagged;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(paths.tests / ex.slug, ec)) {
    if (entry.path().extension() != ".cpp") continue;
    std::ifstream in(entry.path());
    std::stringstream source;
    source << in.rdbuf();
    auto found = tagged_requirements(source.str());
    tagged.insert(found.begin(), found.end());
  }
  std::vector<std::string> forbidden;
  for (const auto& f : ex.forbidden) forbidden.push_back(f.symbol);
  std::string why;
  for (const auto& p : traceability_problems(readme_requirements(text.str()), tagged, forbidden))
    why += (why.empty() ? "" : "\n") + p;
  return {ex.slug, "requirements", why.empty(), why};
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

}  // namespace

int run_selfcheck(Context& ctx, const SelfcheckOptions& options) {
  const auto start = std::chrono::steady_clock::now();
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
    for (const auto& e : selection.errors) ctx.out << "grader: error: " << e << "\n";
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
    checks.push_back(requirements_check(ctx.paths, *ex));

    for (const auto& [profile, opts] : ex->profiles) {
      if (is_learner_copy(ctx.paths) || !kBuildableProfiles.count(profile)) continue;
      if (!options.profiles.empty() &&
          std::find(options.profiles.begin(), options.profiles.end(), profile) == options.profiles.end())
        continue;
      subjects.push_back({ex, "solution", profile, ctx.seed});
    }
    if (!is_learner_copy(ctx.paths) && options.coverage) subjects.push_back({ex, "solution", "coverage", ctx.seed});
    subjects.push_back({ex, "exercise", "plain", ctx.seed});
    for (const auto& m : mutants) {
      if (!kBuildableProfiles.count(m.profile)) continue;
      for (int run = 1; run <= options.mutant_runs; ++run)
        subjects.push_back({ex, "mutant." + m.name, m.profile, static_cast<unsigned long long>(run), true});
    }
    mutants_of[ex->slug] = mutants;
  }

  ctx.out << fmt::format("selfcheck of {} exercise{} (seed {})\n", exercises.size(), exercises.size() == 1 ? "" : "s", ctx.seed);
  if (is_learner_copy(ctx.paths))
    ctx.out << "a learner's copy (no solutions/): checking that every stub builds and fails its tests\n";
  auto results = grade(ctx, subjects);

  std::vector<ExerciseResult> unexpected;  // results that make a check fail, for the details
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    const auto& s = subjects[i];
    const auto& r = results[i];
    Check c{r.slug, "", false, ""};
    if (s.implementation == "solution" && s.profile == "coverage") {
      c.what = fmt::format("coverage of the solution >= {:.0f}%", kMinimumCoverage);
      c.passed = r.verdict == Verdict::pass && r.coverage.measured && r.coverage.line_percent() >= kMinimumCoverage;
      if (r.verdict != Verdict::pass) c.why = "the solution fails under the coverage build: " + first_failure(r);
      else if (!r.coverage.measured) c.why = r.coverage.uncovered;
      else if (!c.passed)
        c.why = fmt::format("{:.1f}% of {} lines; not covered:\n{}", r.coverage.line_percent(), r.coverage.lines_total,
                            r.coverage.uncovered);
    } else if (s.implementation == "solution") {
      c.what = "solution (" + s.profile + ")";
      c.passed = r.verdict == Verdict::pass;
      if (!c.passed) c.why = first_failure(r);
      if (s.profile == "plain") {
        checks.push_back(test_names_check(r));
      }
    } else if (s.implementation == "exercise") {
      if (is_learner_copy(ctx.paths)) {
        checks.push_back(test_names_check(r));
      }
      c.what = "stub fails";
      c.passed = r.verdict == Verdict::fail;
      if (r.verdict == Verdict::pass) c.why = "the stub passes every test: the tests cannot tell it from a solution";
      else if (!c.passed) c.why = "the stub must compile and fail its tests: " + first_failure(r);
    } else {
      c.what = fmt::format("{} ({}, seed {})", s.implementation, s.profile, s.seed);
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
      if (subjects[i].implementation == "solution" && subjects[i].profile == "coverage")
        coverage = r.coverage.measured ? fmt::format("{:.0f}%", r.coverage.line_percent()) : "?";
      else if (subjects[i].implementation == "solution")
        solution_profiles.push_back(subjects[i].profile + (r.verdict == Verdict::pass ? " pass" : " FAIL"));
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
  ctx.out << fmt::format("\nselfcheck took {:.0f} s\n", seconds);
  ctx.out << fmt::format("selfcheck: {} passed, {} failed\n", passed, failed);
  return failed == 0 ? kExitPass : kExitFailures;
}

}  // namespace grader
