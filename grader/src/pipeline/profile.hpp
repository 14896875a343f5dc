// The profiles a test binary can run under, one row each: the only place
// their names and their differences are written down.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "process/containment.hpp"

namespace grader {

enum class Sanitizer { none, thread, address };

struct Profile {
  std::string_view name;        // as kata.json, --profile and the reports say it
  std::string_view build_tree;  // build/<tree>, configured by the CMake preset of that name
  std::string_view runs_dir;    // where its tests run, under the tree
  std::string_view preload;     // a shim target of the tree, LD_PRELOADed into every test ("" for none)
  Sanitizer sanitizer = Sanitizer::none;
  bool measures_coverage = false;  // lcov of the implementation's files after the run
  bool proven_by_selfcheck = true; // the self-check runs solutions and mutants under it
  std::string_view what;        // one line for --help and the docs
  int schedules = 1;            // runs per test case, each with its own seed, until one fails
  double schedule_budget_s = 0; // ... or until this much time went on them (0: no bound but the count)
};

/// The seed of a test case's run number `k` (0-based) under `seed`: the
/// first run uses the seed itself, so `--seed S` replays any run it prints.
inline unsigned long long schedule_seed(unsigned long long seed, int k) {
  return seed + static_cast<unsigned long long>(k) * 1000000ull;
}

/// Every profile, the default first.
const std::vector<Profile>& all_profiles();

/// The profile named `name`, or nullptr.
const Profile* find_profile(std::string_view name);

/// plain: the build learners get and every exercise lists.
const Profile& default_profile();

/// "plain, tsan, asan, noise, coverage", for messages.
std::string profile_names();

/// kTestMemoryLimit (process/containment.hpp), or 0 under a sanitizer.
std::size_t memory_limit(const Profile& profile);

/// ThreadSanitizer's shadow memory layout breaks with more than 28 bits of
/// mmap randomization (GitHub's runners have 32); without ASLR it always fits.
inline bool needs_no_aslr(const Profile& profile) { return profile.sanitizer == Sanitizer::thread; }

/// The variables that follow from the seed: KATA_SEED, and under explore
/// the strategy (a random walk, or PCT when the seed's millions are odd, so
/// a test case's schedules alternate and a seed always replays the same).
std::vector<std::pair<std::string, std::string>> schedule_environment(const Profile& profile, unsigned long long seed);

/// Environment for the profile's test processes: the seed, the sanitizer's
/// options (plus the exercise's own), the preloaded shim.
std::vector<std::pair<std::string, std::string>> profile_environment(const Profile& profile,
                                                                     const std::string& exercise_options,
                                                                     const std::filesystem::path& repository_root,
                                                                     const std::filesystem::path& tree,
                                                                     unsigned long long seed);

}  // namespace grader
