#include <chrono>

#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/grade.hpp"
#include "report/results_json.hpp"
#include "report/table.hpp"
#include "select/selection.hpp"

namespace grader {

int run_check(Context& ctx, const CheckOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto catalog = load_catalog(ctx.paths.exercises);
  for (const auto& p : catalog.problems) ctx.out << "grader: warning: " << p << "\n";
  auto selection = select_exercises(catalog.exercises, options.names);
  if (!selection.errors.empty()) {
    for (const auto& e : selection.errors) ctx.out << "grader: error: " << e << "\n";
    return kExitUsage;
  }
  auto exercises = shard(selection.exercises, options.shard_k, options.shard_n);

  // Until grading finishes, results.json says "error": a crash of the grader
  // itself must not leave an old verdict behind.
  auto path = options.results_path.empty() ? ctx.paths.build_root / "results.json" : std::filesystem::path(options.results_path);
  write_results_json(path, {}, 0);

  std::vector<Subject> subjects;
  for (const auto* ex : exercises) subjects.push_back({ex, options.implementation, options.profile, ctx.seed});
  ctx.out << fmt::format("grading {} exercise{} ({}, {}, seed {})\n", subjects.size(), subjects.size() == 1 ? "" : "s",
                         options.implementation, options.profile, ctx.seed);
  auto results = grade(ctx, subjects);

  ctx.out << "\n";
  print_table(ctx.out, results);
  print_failures(ctx.out, results);
  print_score(ctx.out, results);

  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!write_results_json(path, results, seconds)) ctx.out << "grader: warning: cannot write " << path.string() << "\n";

  bool all_pass = !results.empty();
  for (const auto& r : results) all_pass = all_pass && r.verdict == Verdict::pass;
  if (!all_pass && options.implementation == "exercise" && results.size() == 1)
    ctx.out << "Stuck? ./kata hint " << results.front().slug << "\n";
  return all_pass ? kExitPass : kExitFailures;
}

}  // namespace grader
