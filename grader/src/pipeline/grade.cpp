#include "pipeline/grade.hpp"
#include "pipeline/result_cache.hpp"

#include <chrono>

#include <fmt/format.h>

namespace grader {

std::vector<ExerciseResult> grade(Context& ctx, const std::vector<Subject>& subjects, const PipelineProgress& progress,
                                  StageTimes* times) {
  using clock = std::chrono::steady_clock;
  auto since = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };
  StageTimes spent;
  auto t = clock::now();
  auto plan = plan_stage(ctx, subjects);
  spent.plan = since(t);
  t = clock::now();
  auto builds = build_stage(ctx, plan, progress);
  hide_tests(ctx, plan);
  spent.build = since(t);
  t = clock::now();
  auto run = run_stage(ctx, plan, builds, progress);
  spent.run = since(t);
  t = clock::now();
  auto ran = plan.ready;
  auto results = collect_stage(ctx, plan, run);
  spent.collect = since(t);
  for (std::size_t i = 0; i < results.size(); ++i)
    if (ran[i] && !plan.cache_keys[i].empty() && subjects[i].keep_if == results[i].verdict)
      ResultCache(ctx.paths.tree(subjects[i].profile->build_tree) / "results-cache").store(plan.cache_keys[i], results[i]);
  for (bool reused : plan.reused) spent.reused += reused;
  if (times) *times = spent;
  return results;
}

PipelineProgress terminal_progress(std::ostream& out, bool terminal) {
  PipelineProgress p;
  p.building = [&out](std::string_view tree, std::size_t binaries) {
    out << fmt::format("building {} test binar{} ({})...\n", binaries, binaries == 1 ? "y" : "ies", tree) << std::flush;
  };
  p.running = [&out](std::size_t cases) {
    out << fmt::format("running {} test case{}...\n", cases, cases == 1 ? "" : "s") << std::flush;
  };
  if (!terminal) return p;
  // A first build takes minutes: on a terminal, ninja's progress as it goes.
  p.build_step = [&out](int done, int total) { out << fmt::format("\r  built {} of {} steps", done, total) << std::flush; };
  p.built = [&out] { out << "\r" << std::string(40, ' ') << "\r" << std::flush; };
  p.case_done = [&out](std::size_t done, std::size_t total) { out << fmt::format("\r  {}/{} done", done, total) << std::flush; };
  p.ran = [&out] { out << "\r" << std::string(30, ' ') << "\r" << std::flush; };
  return p;
}

}  // namespace grader
