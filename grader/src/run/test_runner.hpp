// run: every test case of a test binary in its own process, several at once.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "model.hpp"
#include "run/process.hpp"

namespace grader {

/// The test cases a binary runs by default (hidden "[.]" tests excluded).
/// On failure returns false and says why.
bool list_test_names(ProcessRunner& runner, const std::filesystem::path& binary, const std::string& spec,
                     std::vector<std::string>& names, std::string& why, const std::optional<RunAs>& run_as = {});

/// Memory one test process may use (address space; the sanitizers' largest
/// allocation). Hundreds of threads with 8 MiB stacks fit; 8 GiB does not.
inline constexpr std::size_t kTestMemoryLimit = std::size_t{6} << 30;

/// One test case to run.
struct TestJob {
  std::filesystem::path binary;
  std::string test_name;
  std::filesystem::path work_dir;  // the test's working directory
  std::optional<RunAs> run_as;     // the user the test runs as (the grader's own when unset)
  std::vector<std::pair<std::string, std::string>> env;
  double timeout_s = 10;
  bool alone = false;  // timing-sensitive: runs after the others, one at a time
  bool hidden = false; // its result says what failed, not how
  bool collect_stacks = true;
  bool no_aslr = false;
  std::size_t group = 0;  // caller's index (which exercise/implementation)
  bool stop_group_on_failure = false;  // one failure is enough: skip the group's jobs not yet started
};

/// Environment for a profile's test processes: sanitizer options (plus the
/// exercise's own), the seed, and a fresh IPC prefix per test (added by run_jobs).
std::vector<std::pair<std::string, std::string>> profile_environment(const std::string& profile,
                                                                     const std::string& exercise_options,
                                                                     const std::filesystem::path& repository_root,
                                                                     unsigned long long seed);

/// Runs the jobs with `slots` in parallel (the `alone` ones afterwards, one
/// at a time) and returns their results in job order. `on_done` is called
/// (from one thread at a time) as each finishes.
std::vector<TestResult> run_jobs(ProcessRunner& runner, const std::vector<TestJob>& jobs, int slots,
                                 const std::function<void(const TestJob&, const TestResult&)>& on_done = {});

}  // namespace grader
