// plan: which binaries each build tree must build; the learner's files are
// checked for forbidden symbols first (a verdict without a build).
#include <fmt/format.h>

#include "build/forbidden.hpp"
#include "pipeline/grade.hpp"
#include "text_file.hpp"

namespace grader {

std::vector<std::string> forbidden_uses(const Context& ctx, const Exercise& ex) {
  std::vector<std::string> uses;
  for (const auto& file : ex.sources()) {
    auto source = read_text_file(ctx.paths.exercises / ex.slug / file);
    for (const auto& f : ex.forbidden)
      for (int line : find_symbol(source, f.symbol))
        uses.push_back(fmt::format("exercises/{}/{}:{}: '{}' is not allowed here: {}", ex.slug, file, line,
                                   f.symbol, f.hint));
  }
  return uses;
}

Plan plan_stage(const Context& ctx, const std::vector<Subject>& subjects) {
  Plan plan;
  plan.subjects = subjects;
  plan.results.resize(subjects.size());
  plan.ready.assign(subjects.size(), false);
  plan.cache_keys.resize(subjects.size());
  plan.reused.assign(subjects.size(), false);
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    const auto& s = subjects[i];
    auto& r = plan.results[i];
    r.slug = s.exercise->slug;
    r.title = s.exercise->title;
    r.implementation = s.implementation;
    r.profile = std::string(s.profile->name);
    r.max_points = s.exercise->points;
    if (s.implementation == "exercise") {
      if (auto uses = forbidden_uses(ctx, *s.exercise); !uses.empty()) {
        r.verdict = Verdict::forbidden;
        for (const auto& u : uses) r.message += (r.message.empty() ? "" : "\n") + u;
        continue;
      }
    }
    auto& targets = plan.targets_by_tree[std::string(s.profile->build_tree)];
    targets.insert(r.slug + "." + s.implementation);
    if (!s.profile->preload.empty()) targets.insert(std::string(s.profile->preload));
    plan.ready[i] = true;
  }
  return plan;
}

Plan part_of(const Plan& plan, const std::vector<std::size_t>& keep) {
  Plan part;
  for (auto i : keep) {
    part.subjects.push_back(plan.subjects[i]);
    part.results.push_back(plan.results[i]);
    part.ready.push_back(plan.ready[i]);
    part.cache_keys.push_back(plan.cache_keys[i]);
    part.reused.push_back(plan.reused[i]);
  }
  return part;
}

}  // namespace grader
