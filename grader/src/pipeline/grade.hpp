// The pipeline behind check, watch and selfcheck, one stage per file:
//   plan     which binaries to build; forbidden symbols  (plan.cpp)
//   build    one ninja run per build tree                 (build_stage.cpp)
//            then hide_tests, before any learner code runs
//   run      list each binary's tests, run every case     (run_stage.cpp)
//   collect  judge each case's evidence, then each result (collect_stage.cpp)
// grade() runs them once, in waves (a wave's tests beside the next waves'
// builds); grade_every_profile (every_profile.cpp) builds
// every tree first, then runs profile after profile.
// The commands render progress (PipelineProgress) and report the results.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "build/build.hpp"
#include "commands/context.hpp"
#include "evidence.hpp"
#include "model.hpp"
#include "pipeline/profile.hpp"
#include "run/test_runner.hpp"

namespace grader {

/// One thing to grade: an exercise's tests against one implementation, under
/// one profile, with one seed.
struct Subject {
  const Exercise* exercise;
  std::string implementation;  // exercise, solution, mutant.<name>
  const Profile* profile;
  unsigned long long seed;
  bool first_failure_is_enough = false;  // a mutant run: stop at its first failing test
  // The verdict the caller expects (selfcheck): only such a result is kept for
  // reuse, so a surprise always runs again. Unset: never kept.
  std::optional<Verdict> keep_if;
};

/// What the stages tell whoever shows progress. Every member may be empty.
struct PipelineProgress {
  std::function<void(std::string_view tree, std::size_t binaries)> building;
  std::function<void(int done, int total)> build_step;  // ninja's [N/M]
  std::function<void()> built;                          // the tree's build ended
  std::function<void(std::size_t cases)> running;
  std::function<void(std::size_t done, std::size_t total)> case_done;
  std::function<void()> ran;
};

/// Wall-clock seconds of each stage, for the self-check's breakdown.
struct StageTimes {
  double plan = 0, build = 0, run = 0, collect = 0;
  double build_beside = 0;  // the later waves' builds, while the first wave's tests ran (grade())
  double build_waited = 0;  // of which the tests had ended and the run waited for them
  std::size_t reused = 0;  // subjects whose result came from the cache
};

/// The plan: a result per subject, filled in by the stages; `ready` until a
/// stage decides the subject's verdict on its own (a forbidden symbol, a build error).
struct Plan {
  std::vector<Subject> subjects;
  std::vector<ExerciseResult> results;
  std::vector<bool> ready;
  std::map<std::string, std::set<std::string>> targets_by_tree;  // build tree -> "<slug>.<implementation>"
  std::vector<std::string> cache_keys;  // per subject: its inputs, when the result cache is on
  std::vector<bool> reused;             // per subject: the result came from the cache
};

/// The subjects of `plan` that `keep` names (indices), as a plan of their own.
Plan part_of(const Plan& plan, const std::vector<std::size_t>& keep);

/// What the run stage did: a job per test case and what each left behind.
struct RunOutput {
  std::vector<TestJob> jobs;  // job.group: the subject's index
  std::vector<CaseEvidence> evidence;
  std::vector<bool> hidden;   // per job: tagged [hidden]
};

Plan plan_stage(const Context& ctx, const std::vector<Subject>& subjects);
/// `background`: at idle priority, while tests of another wave run (grade()).
/// `log_name`: each tree's build log, in the tree.
std::map<std::string, BuildOutcome> build_stage(Context& ctx, Plan& plan, const PipelineProgress& progress,
                                                bool background = false, const std::string& log_name = "last-build.log");
/// After the last compile, before the learner's code first runs: as --run-as,
/// the tests' user must not read the hidden tests (or a private course's);
/// only the compilers needed them. No compile as that user may follow: code
/// of theirs that ran could have set up what the next compile runs (a ccache
/// configuration in its cache folder, say).
void hide_tests(Context& ctx, const Plan& plan);
/// Runs per test case, and the time they may take, for an exercise under a
/// profile: kata.json's "schedules" and "budget_s" where set, else the profile's.
std::pair<int, double> schedules_of(const Exercise& exercise, const Profile& profile);

RunOutput run_stage(Context& ctx, Plan& plan, const std::map<std::string, BuildOutcome>& builds,
                    const PipelineProgress& progress);
std::vector<ExerciseResult> collect_stage(Context& ctx, Plan& plan, RunOutput& run);

/// All four stages: one result per subject, in order. Without --run-as, in
/// waves: the plain tree's solutions and stubs first, then its mutants, then
/// the other trees; each wave's tests run while the next waves build.
std::vector<ExerciseResult> grade(Context& ctx, const std::vector<Subject>& subjects,
                                  const PipelineProgress& progress = {}, StageTimes* times = nullptr);

/// Each exercise under every profile it lists (plain first, then the table's
/// order; coverage, which judges nothing, left out): every tree built first,
/// then the runs one profile at a time, so an exercise that failed under one
/// is not run under the next. Its result is the first failing profile's, or
/// its plain one when it passed them all; the time is that of all its runs.
std::vector<ExerciseResult> grade_every_profile(Context& ctx, const std::vector<const Exercise*>& exercises,
                                                const std::string& implementation,
                                                const PipelineProgress& progress = {});

/// Lines of the learner's files that use a forbidden symbol, as
/// "exercises/x/f.cpp:12: 'sleep_for' is not allowed here: <hint>".
std::vector<std::string> forbidden_uses(const Context& ctx, const Exercise& exercise);

/// Build and run progress as lines on `out`; on a terminal also the counts as they change.
PipelineProgress terminal_progress(std::ostream& out, bool terminal);

}  // namespace grader
