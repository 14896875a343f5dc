// build: one ninja run per build tree for every binary the plan names.
#include <iostream>

#include <sys/stat.h>

#include "pipeline/grade.hpp"

namespace grader {

std::map<std::string, BuildOutcome> build_stage(Context& ctx, Plan& plan, const PipelineProgress& progress,
                                                bool background, const std::string& log_name) {
  std::map<std::string, BuildOutcome> builds;
  for (const auto& [tree, targets] : plan.targets_by_tree) {
    if (progress.building) progress.building(tree, targets.size());
    BuildRequest request;
    request.tree = tree;
    request.targets = {targets.begin(), targets.end()};
    request.jobs = ctx.jobs;
    request.run_as = ctx.run_as;
    request.link_compile_commands = tree == default_profile().build_tree;
    request.on_progress = progress.build_step;
    request.background = background;
    request.log_name = log_name;
    builds[tree] = build_targets(ctx.runner, ctx.paths, request);
    if (progress.built) progress.built();
  }
  return builds;
}

void hide_tests(Context& ctx, const Plan& plan) {
  if (!ctx.run_as) return;
  std::set<std::string> slugs;
  for (const auto& s : plan.subjects) slugs.insert(s.exercise->slug);
  for (const auto& slug : slugs) {
    auto dir = ctx.paths.tests / slug;
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && (st.st_uid == ctx.run_as->first || ::chmod(dir.c_str(), 0700) != 0))
      ctx.err << "grader: warning: cannot hide " << dir.string() << " from the tests' user\n";
  }
}

}  // namespace grader
