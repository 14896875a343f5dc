#include "pipeline/grade.hpp"
#include "pipeline/result_cache.hpp"

#include <chrono>
#include <exception>
#include <thread>

#include <fmt/format.h>

namespace grader {

namespace {

using clock = std::chrono::steady_clock;

double since(clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); }

// Runs and collects the subjects `keep` names with the trees `builds` holds,
// writing their results and state back into `plan`.
void run_and_collect(Context& ctx, Plan& plan, const std::vector<std::size_t>& keep,
                     const std::map<std::string, BuildOutcome>& builds, const PipelineProgress& progress,
                     std::vector<bool>& ran, std::vector<ExerciseResult>& results, StageTimes& spent) {
  if (keep.empty()) return;
  auto t = clock::now();
  auto part = part_of(plan, keep);
  auto run = run_stage(ctx, part, builds, progress);
  spent.run += since(t);
  t = clock::now();
  const auto part_ran = part.ready;
  auto part_results = collect_stage(ctx, part, run);
  spent.collect += since(t);
  for (std::size_t k = 0; k < keep.size(); ++k) {
    const auto i = keep[k];
    ran[i] = part_ran[k];
    plan.cache_keys[i] = part.cache_keys[k];
    plan.reused[i] = part.reused[k];
    results[i] = std::move(part_results[k]);
  }
}

}  // namespace

std::vector<ExerciseResult> grade(Context& ctx, const std::vector<Subject>& subjects, const PipelineProgress& progress,
                                  StageTimes* times) {
  StageTimes spent;
  auto t = clock::now();
  auto plan = plan_stage(ctx, subjects);
  spent.plan = since(t);
  std::vector<ExerciseResult> results(subjects.size());
  std::vector<bool> ran(subjects.size(), false);

  // The plain tree's tests mostly wait, and they are most of the tests: they
  // start once it is built, while the other trees build beside them at idle
  // priority, taking only the cores the tests leave. Not under --run-as:
  // there every tree is built before the learner's code first runs (hide_tests).
  const auto plain_tree = std::string(default_profile().build_tree);
  Plan first = plan, rest = plan;
  first.targets_by_tree.clear();
  if (auto p = plan.targets_by_tree.find(plain_tree); p != plan.targets_by_tree.end()) first.targets_by_tree.insert(*p);
  rest.targets_by_tree.erase(plain_tree);
  const bool beside = !ctx.run_as && !first.targets_by_tree.empty() && !rest.targets_by_tree.empty();
  std::vector<std::size_t> plain_subjects, other_subjects;
  for (std::size_t i = 0; i < subjects.size(); ++i)
    (beside && subjects[i].profile->build_tree != plain_tree ? other_subjects : plain_subjects).push_back(i);

  t = clock::now();
  auto builds = build_stage(ctx, beside ? first : plan, progress);
  hide_tests(ctx, plan);
  spent.build = since(t);
  std::map<std::string, BuildOutcome> later;
  std::exception_ptr build_failed;
  std::jthread building;  // joined on every way out, an exception's too
  if (beside) {
    // Only the first line of each tree: two counters on one terminal line would mix.
    if (progress.building)
      for (const auto& [tree, targets] : rest.targets_by_tree) progress.building(tree, targets.size());
    building = std::jthread([&] {
      auto began = clock::now();
      try {
        later = build_stage(ctx, rest, {}, /*background=*/true);
      } catch (...) {
        build_failed = std::current_exception();
      }
      spent.build_beside = since(began);
    });
  }
  run_and_collect(ctx, plan, plain_subjects, builds, progress, ran, results, spent);
  if (building.joinable()) {
    t = clock::now();
    building.join();
    spent.build_waited = since(t);
    if (build_failed) std::rethrow_exception(build_failed);
  }
  run_and_collect(ctx, plan, other_subjects, later, progress, ran, results, spent);
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
