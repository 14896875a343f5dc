// run: every test case of a test binary in its own process, several at once.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "evidence.hpp"
#include "process/process.hpp"

namespace grader {

/// The test cases a binary runs by default (hidden "[.]" tests excluded).
/// On failure returns false and says why. With `tags`, also each listed
/// test's tags, lower case ("[req:1][timing]"), from the same listing.
bool list_test_names(ProcessRunner& runner, const std::filesystem::path& binary, const std::string& spec,
                     std::vector<std::string>& names, std::string& why, const std::optional<RunAs>& run_as = {},
                     std::map<std::string, std::string>* tags = nullptr);

/// One test case to run.
struct TestJob {
  std::filesystem::path binary;
  std::string test_name;
  std::filesystem::path work_dir;  // the test's working directory
  std::optional<RunAs> run_as;     // the user the test runs as (the grader's own when unset)
  std::vector<std::pair<std::string, std::string>> env;  // the profile's (pipeline/profile.hpp)
  std::size_t memory_limit = 0;    // address space, 0: none (the sanitizers reserve terabytes)
  double timeout_s = 10;
  bool alone = false;  // timing-sensitive: runs after the others, one at a time
  bool collect_stacks = true;
  bool record_trace = false;  // explore: the scheduler writes its events to a file the evidence keeps
  bool no_aslr = false;
  // Several runs until one fails: the variables each run sets over `env`
  // (its KATA_SEED among them); empty: one run.
  std::vector<std::vector<std::pair<std::string, std::string>>> schedules;
  double schedule_budget_s = 0;              // no further run starts after this long (0: no bound)
  std::size_t group = 0;  // caller's index (which exercise/implementation)
  bool stop_group_on_failure = false;  // one failure is enough: skip the group's jobs not yet started
  // Groups of one family (a mutant's runs under each seed) that stop on a
  // failure learn from each other: once a test has failed in one, the others
  // run it first. Empty: no family.
  std::string family;
};

/// Runs the jobs with `slots` in parallel (the `alone` ones afterwards, one
/// at a time) and returns what each left, in job order: for a job with
/// several schedules, its first failing run, else its last. `passes` says
/// whether a run passed (a failure skips the jobs of its group not started
/// yet when they ask to); `on_done` is called, from one thread at a time, as
/// each job finishes. Jobs run in the order given, except in a family: its
/// other groups wait while one runs (when other work can fill the slots), and
/// start with the tests that failed in it; one that failed asleep (a hang)
/// runs again in one of `slots` more slots, kept for such tests.
std::vector<CaseEvidence> run_jobs(ProcessRunner& runner, const std::vector<TestJob>& jobs, int slots,
                                   const std::function<bool(const CaseEvidence&)>& passes,
                                   const std::function<void(const TestJob&, const CaseEvidence&)>& on_done = {});

}  // namespace grader
