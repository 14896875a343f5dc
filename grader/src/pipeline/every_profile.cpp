// grade_every_profile: the verdict of record (a pull request's), under every
// profile an exercise lists, so a data race that only ThreadSanitizer sees or
// an interleaving only explore finds cannot pass.
#include "pipeline/grade.hpp"

#include <algorithm>

namespace grader {

std::vector<ExerciseResult> grade_every_profile(Context& ctx, const std::vector<const Exercise*>& exercises,
                                                const std::string& implementation, const PipelineProgress& progress) {
  std::vector<std::optional<ExerciseResult>> verdicts(exercises.size());  // set once a profile fails it
  std::vector<std::optional<ExerciseResult>> plain(exercises.size());     // its result under the default profile
  std::vector<double> seconds(exercises.size(), 0);
  for (const auto& profile : all_profiles()) {
    if (!profile.proven_by_selfcheck) continue;  // coverage measures; it does not judge
    // One profile at a time: each is one build tree, and an exercise that
    // failed already is not built or run again.
    std::vector<Subject> subjects;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < exercises.size(); ++i) {
      const bool listed = &profile == &default_profile() || exercises[i]->profiles.count(std::string(profile.name));
      if (verdicts[i] || !listed) continue;
      subjects.push_back({exercises[i], implementation, &profile, ctx.seed});
      which.push_back(i);
    }
    if (subjects.empty()) continue;
    auto results = grade(ctx, subjects, progress);
    for (std::size_t k = 0; k < results.size(); ++k) {
      const auto i = which[k];
      seconds[i] += results[k].seconds;
      if (results[k].verdict != Verdict::pass) {
        verdicts[i] = std::move(results[k]);
      } else if (&profile == &default_profile()) {
        plain[i] = std::move(results[k]);
      }
    }
  }
  std::vector<ExerciseResult> out;
  for (std::size_t i = 0; i < exercises.size(); ++i) {
    out.push_back(verdicts[i] ? std::move(*verdicts[i]) : std::move(*plain[i]));
    out.back().seconds = seconds[i];
  }
  return out;
}

}  // namespace grader
