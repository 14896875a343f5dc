// grade_every_profile: the verdict of record (a pull request's), under every
// profile an exercise lists, so a data race that only ThreadSanitizer sees or
// an interleaving only explore finds cannot pass.
#include "pipeline/grade.hpp"

#include <iterator>
#include <set>

namespace grader {

std::vector<ExerciseResult> grade_every_profile(Context& ctx, const std::vector<const Exercise*>& exercises,
                                                const std::string& implementation, const PipelineProgress& progress) {
  std::vector<Subject> subjects;
  std::vector<std::size_t> exercise_of;  // per subject
  for (const auto& profile : all_profiles()) {
    if (!profile.proven_by_selfcheck) continue;  // coverage measures; it does not judge
    for (std::size_t i = 0; i < exercises.size(); ++i) {
      if (&profile != &default_profile() && !exercises[i]->profiles.count(std::string(profile.name))) continue;
      subjects.push_back({exercises[i], implementation, &profile, ctx.seed});
      exercise_of.push_back(i);
    }
  }
  // Every tree is built before the learner's code first runs (hide_tests).
  // The plain tree first: an exercise that does not build there, or uses a
  // forbidden symbol, is not built under the other profiles.
  auto plan = plan_stage(ctx, subjects);
  const auto plain_tree = std::string(default_profile().build_tree);
  Plan first = plan;
  first.targets_by_tree.clear();
  if (auto t = plan.targets_by_tree.find(plain_tree); t != plan.targets_by_tree.end()) first.targets_by_tree.insert(*t);
  auto builds = build_stage(ctx, first, progress);
  std::set<std::size_t> stopped;  // exercises
  for (std::size_t s = 0; s < subjects.size(); ++s) {
    const bool plain_subject = subjects[s].profile == &default_profile();
    if (plain_subject && (!plan.ready[s] || builds[plain_tree].failed.count(plan.results[s].slug + "." + implementation)))
      stopped.insert(exercise_of[s]);
  }
  Plan rest = plan;
  rest.targets_by_tree.erase(plain_tree);
  for (std::size_t s = 0; s < subjects.size(); ++s)
    if (stopped.count(exercise_of[s]))
      for (auto& [tree, targets] : rest.targets_by_tree) targets.erase(plan.results[s].slug + "." + implementation);
  for (auto it = rest.targets_by_tree.begin(); it != rest.targets_by_tree.end();)
    it = it->second.empty() ? rest.targets_by_tree.erase(it) : std::next(it);
  builds.merge(build_stage(ctx, rest, progress));
  hide_tests(ctx, plan);

  // Then one profile at a time: an exercise that failed under one is not run
  // under the next.
  std::vector<std::optional<ExerciseResult>> failed(exercises.size());
  std::vector<std::optional<ExerciseResult>> plain(exercises.size());
  std::vector<double> seconds(exercises.size(), 0);
  for (const auto& profile : all_profiles()) {
    std::vector<std::size_t> keep;
    for (std::size_t s = 0; s < subjects.size(); ++s)
      if (subjects[s].profile == &profile && !failed[exercise_of[s]]) keep.push_back(s);
    if (keep.empty()) continue;
    auto part = part_of(plan, keep);
    auto run = run_stage(ctx, part, builds, progress);
    auto results = collect_stage(ctx, part, run);
    for (std::size_t k = 0; k < keep.size(); ++k) {
      const auto i = exercise_of[keep[k]];
      seconds[i] += results[k].seconds;
      if (results[k].verdict != Verdict::pass) {
        failed[i] = std::move(results[k]);
      } else if (&profile == &default_profile()) {
        plain[i] = std::move(results[k]);
      }
    }
  }
  std::vector<ExerciseResult> out;
  for (std::size_t i = 0; i < exercises.size(); ++i) {
    out.push_back(failed[i] ? std::move(*failed[i]) : std::move(*plain[i]));
    out.back().seconds = seconds[i];
  }
  return out;
}

}  // namespace grader
