#include "pipeline/grade.hpp"
#include "pipeline/result_cache.hpp"

#include <chrono>
#include <future>
#include <stop_token>
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

// What is built, then run, together.
struct Wave {
  Plan plan;                          // its targets_by_tree (the rest as in the whole plan)
  std::vector<std::size_t> subjects;  // its subjects, as indices into the whole plan
  std::string log_name;               // of its build, in each tree
};

// The waves, in the order they are built. The plain tree's tests mostly
// wait, and they are most of the tests: its solutions and stubs come first,
// and their tests run while the plain tree's mutants build beside them at
// idle priority; the mutants' tests run while every other tree builds. Under
// --run-as one wave: every tree is built before the learner's code first runs
// (hide_tests).
std::vector<Wave> waves_of(const Context& ctx, const Plan& plan) {
  const auto plain_tree = std::string(default_profile().build_tree);
  std::vector<Wave> waves(3);
  waves[1].log_name = "last-build-mutants.log";
  for (std::size_t i = 0; i < plan.subjects.size(); ++i) {
    const auto& s = plan.subjects[i];
    const auto tree = std::string(s.profile->build_tree);
    std::size_t w = 0;
    if (!ctx.run_as && plan.ready[i]) w = tree != plain_tree ? 2 : s.first_failure_is_enough ? 1 : 0;
    waves[w].subjects.push_back(i);
    if (!plan.ready[i]) continue;
    auto& targets = waves[w].plan.targets_by_tree[tree];
    targets.insert(s.exercise->slug + "." + s.implementation);
    if (!s.profile->preload.empty()) targets.insert(std::string(s.profile->preload));
  }
  std::vector<Wave> kept;
  for (auto& w : waves) {
    if (w.subjects.empty()) continue;
    if (w.log_name.empty()) w.log_name = "last-build.log";
    w.plan.subjects = plan.subjects;  // build_stage reads only the targets
    kept.push_back(std::move(w));
  }
  return kept;
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
  auto waves = waves_of(ctx, plan);

  t = clock::now();
  std::vector<std::map<std::string, BuildOutcome>> builds(waves.size());
  if (!waves.empty()) builds[0] = build_stage(ctx, waves[0].plan, progress, false, waves[0].log_name);
  hide_tests(ctx, plan);
  spent.build = since(t);

  // The later waves build one after another in a thread, each handed over
  // when done; the thread is joined on every way out (asked to stop first).
  std::vector<std::promise<void>> built(waves.size());
  std::vector<std::future<void>> ready;
  for (auto& b : built) ready.push_back(b.get_future());
  std::jthread building;
  if (waves.size() > 1) {
    // Only the first line of each build: two counters on one terminal line would mix.
    if (progress.building)
      for (std::size_t w = 1; w < waves.size(); ++w)
        for (const auto& [tree, targets] : waves[w].plan.targets_by_tree) progress.building(tree, targets.size());
    building = std::jthread([&](std::stop_token stop) {
      auto began = clock::now();
      for (std::size_t w = 1; w < waves.size() && !stop.stop_requested(); ++w) {
        try {
          builds[w] = build_stage(ctx, waves[w].plan, {}, /*background=*/true, waves[w].log_name);
          built[w].set_value();
        } catch (...) {
          built[w].set_exception(std::current_exception());
          break;
        }
      }
      spent.build_beside = since(began);
    });
  }
  for (std::size_t w = 0; w < waves.size(); ++w) {
    if (w > 0) {
      t = clock::now();
      ready[w].get();  // its build's exception, if it threw
      spent.build_waited += since(t);
    }
    run_and_collect(ctx, plan, waves[w].subjects, builds[w], progress, ran, results, spent);
  }
  if (building.joinable()) building.join();
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
