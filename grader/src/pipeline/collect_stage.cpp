// collect: each test case's verdict from its evidence, then each subject's
// verdict, points and (coverage profile) figures.
#include "collect/coverage.hpp"
#include "collect/verdict.hpp"
#include "pipeline/grade.hpp"

namespace grader {
namespace fs = std::filesystem;

namespace {

// The folder holding the implementation's own files, whose coverage counts.
fs::path implementation_dir(const Paths& paths, std::string_view tree, const std::string& slug,
                            const std::string& implementation) {
  if (implementation == "exercise") return paths.exercises / slug;
  if (implementation == "solution") return paths.root / "solutions" / slug;
  return paths.tree(tree) / "impl" / slug / implementation;  // a mutant's overlay
}

}  // namespace

std::vector<ExerciseResult> collect_stage(Context& ctx, Plan& plan, RunOutput& run) {
  auto& results = plan.results;
  for (std::size_t j = 0; j < run.jobs.size(); ++j) {
    auto& r = results[run.jobs[j].group];
    auto t = judge(run.evidence[j]);
    t.hidden = run.hidden[j];
    if (t.hidden && !ctx.reveal_hidden) conceal(t);
    r.seconds += t.seconds;
    r.tests.push_back(std::move(t));
  }
  // Paths in messages are shown relative to the repository.
  const auto root_prefix = ctx.paths.root.string() + "/";
  auto relative = [&](std::string& text) {
    for (std::size_t at; (at = text.find(root_prefix)) != std::string::npos;) text.erase(at, root_prefix.size());
  };
  for (auto& r : results) {
    relative(r.message);
    for (auto& t : r.tests) relative(t.message);
  }
  for (std::size_t i = 0; i < plan.subjects.size(); ++i) {
    if (!plan.ready[i]) continue;
    const auto& s = plan.subjects[i];
    auto& r = results[i];
    r.verdict = verdict_from_tests(r.tests);
    r.points = r.verdict == Verdict::pass ? r.max_points : 0;
    if (s.profile->measures_coverage) {
      auto tree = ctx.paths.tree(s.profile->build_tree);
      r.coverage = measure_coverage(ctx.runner, coverage_object_dirs(tree, r.slug, r.implementation),
                                    implementation_dir(ctx.paths, s.profile->build_tree, r.slug, r.implementation),
                                    s.exercise->files,
                                    tree / "lcov" / r.slug / r.implementation,
                                    ctx.paths.build_root / "reports" / "coverage" / r.slug / r.implementation);
    }
  }
  return std::move(results);
}

}  // namespace grader
