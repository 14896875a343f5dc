#include <chrono>

#include <unistd.h>

#include <fmt/format.h>

#include "commands/commands.hpp"
#include "pipeline/grade.hpp"
#include "commands/learner.hpp"
#include "report/formats.hpp"
#include "report/table.hpp"
#include "select/selection.hpp"
#include "state/progress.hpp"

namespace grader {

std::vector<ExerciseResult> grade_exercises(Context& ctx, const std::vector<const Exercise*>& exercises,
                                            const std::string& implementation, const Profile* profile,
                                            const std::filesystem::path& report_dir) {
  // Until grading finishes, results.json says "error": a crash of the grader
  // itself must not leave an old verdict behind.
  write_reports(report_dir, RunSummary{{}, 0, false});
  auto progress = terminal_progress(ctx.out, isatty(STDOUT_FILENO));
  if (!profile) return grade_every_profile(ctx, exercises, implementation, progress);
  std::vector<Subject> subjects;
  for (const auto* ex : exercises) subjects.push_back({ex, implementation, profile, ctx.seed});
  return grade(ctx, subjects, progress);
}

void show_results(Context& ctx, const std::vector<ExerciseResult>& results, const std::string& implementation,
                  const std::filesystem::path& report_dir, int max_failing_tests, double seconds) {
  ctx.out << "\n";
  print_table(ctx.out, results, ctx.style);
  print_failures(ctx.out, results, max_failing_tests, ctx.style);
  print_coverage(ctx.out, results);
  print_score(ctx.out, results);

  for (const auto& f : write_reports(report_dir, RunSummary{results, seconds, true}))
    ctx.err << "grader: warning: cannot write " << f << "\n";

  if (implementation == "exercise") {
    auto progress = Progress::load(ctx.progress_file());
    for (const auto& r : results) {
      auto& p = progress.of(r.slug);
      p.attempted = true;
      p.done = r.verdict == Verdict::pass;
    }
    progress.save();
  }
}

std::vector<ExerciseResult> grade_for_learner(Context& ctx, const std::vector<const Exercise*>& exercises,
                                              const std::string& implementation, const Profile* profile,
                                              const std::filesystem::path& report_dir, int max_failing_tests) {
  const auto start = std::chrono::steady_clock::now();
  auto results = grade_exercises(ctx, exercises, implementation, profile, report_dir);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  show_results(ctx, results, implementation, report_dir, max_failing_tests, seconds);
  return results;
}

int run_check(Context& ctx, const CheckOptions& options) {
  auto catalog = load_catalog(ctx.paths.exercises);
  for (const auto& p : catalog.problems) ctx.err << "grader: warning: " << p << "\n";
  auto selection = select_exercises(catalog.exercises, options.names);
  if (!selection.errors.empty()) {
    for (const auto& e : selection.errors) ctx.err << "grader: error: " << e << "\n";
    return kExitUsage;
  }
  auto exercises = shard(selection.exercises, options.shard_k, options.shard_n);
  // The command line accepts only the profile table's names.
  const Profile* profile = options.all_profiles        ? nullptr
                           : options.profile.empty() ? &default_profile()
                                                     : find_profile(options.profile);
  if (!options.all_profiles && !profile) profile = &default_profile();
  ctx.out << fmt::format("grading {} exercise{} ({}, {}, seed {})\n", exercises.size(), exercises.size() == 1 ? "" : "s",
                         options.implementation, profile ? profile->name : "every profile listed", ctx.seed);
  auto dir = options.report_dir.empty() ? ctx.paths.build_root / "reports" : std::filesystem::absolute(options.report_dir);
  auto results = grade_for_learner(ctx, exercises, options.implementation, profile, dir, 3);

  bool all_pass = !results.empty();
  for (const auto& r : results) all_pass = all_pass && r.verdict == Verdict::pass;
  if (!all_pass && options.implementation == "exercise" && results.size() == 1)
    ctx.out << "Stuck? ./kata hint " << results.front().slug << "\n";
  // A pass under plain alone is not yet the grade: say what else judges it.
  if (all_pass && options.implementation == "exercise" && profile == &default_profile() && exercises.size() == 1) {
    std::string others;
    for (const auto& p : all_profiles())
      if (&p != &default_profile() && p.proven_by_selfcheck && exercises.front()->profiles.count(std::string(p.name)))
        others += (others.empty() ? "" : ", ") + std::string(p.name);
    if (auto last = others.rfind(", "); last != std::string::npos) others.replace(last, 2, " and ");
    if (!others.empty())
      ctx.out << fmt::format("A pull request is graded under {} too: ./kata check {} --all-profiles\n", others,
                             exercises.front()->slug);
  }
  return all_pass ? kExitPass : kExitFailures;
}

}  // namespace grader
