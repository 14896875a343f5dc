#include "pipeline/profile.hpp"

namespace grader {
namespace fs = std::filesystem;

const std::vector<Profile>& all_profiles() {
  static const std::vector<Profile> profiles{
      {"plain", "plain", "runs", "", Sanitizer::none, false, true, "the learner's build: clang -O0 -g"},
      {"tsan", "tsan", "runs", "", Sanitizer::thread, false, true, "ThreadSanitizer: data races, lock order inversions"},
      {"asan", "asan", "runs", "", Sanitizer::address, false, true, "AddressSanitizer and UBSan: memory errors, leaks, undefined behaviour"},
      // The plain build's binaries with a shim that injects seeded delays at
      // the pthread calls (tests/support/noise/).
      {"noise", "plain", "runs-noise", "kata_noise", Sanitizer::none, false, true,
       "plain with seeded schedule noise at every pthread call"},
      // The plain build's binaries under a preloaded scheduler that runs one
      // thread at a time, in an order the seed decides, with virtual time
      // (tests/support/explore/): the same seed replays the same schedule.
      // A schedule costs milliseconds of virtual time, so each test case
      // tries several (kata.json's "schedules" and "budget_s" change it).
      {"explore", "plain", "runs-explore", "kata_explore", Sanitizer::none, false, true,
       "plain under a seeded deterministic scheduler: one thread at a time, virtual time, replayable by --seed", 8,
       10.0},
      {"coverage", "coverage", "runs", "", Sanitizer::none, true, false, "an lcov report of the lines and branches of your files"},
  };
  return profiles;
}

const Profile* find_profile(std::string_view name) {
  for (const auto& p : all_profiles())
    if (p.name == name) return &p;
  return nullptr;
}

const Profile& default_profile() { return all_profiles().front(); }

std::string profile_names() {
  std::string names;
  for (const auto& p : all_profiles()) names += (names.empty() ? "" : ", ") + std::string(p.name);
  return names;
}

std::size_t memory_limit(const Profile& profile) {
  return profile.sanitizer == Sanitizer::none ? kTestMemoryLimit : 0;
}

std::vector<std::pair<std::string, std::string>> schedule_environment(const Profile& profile, unsigned long long seed) {
  std::vector<std::pair<std::string, std::string>> env{{"KATA_SEED", std::to_string(seed)}};
  if (profile.name == "explore") env.emplace_back("KATA_EXPLORE_STRATEGY", (seed / 1000000) % 2 ? "pct" : "random");
  return env;
}

std::vector<std::pair<std::string, std::string>> profile_environment(const Profile& profile, const std::string& options,
                                                                     const fs::path& root, const fs::path& tree,
                                                                     unsigned long long seed) {
  auto env = schedule_environment(profile, seed);
  auto with = [&](std::string base) { return options.empty() ? base : base + " " + options; };
  const auto max_allocation = " max_allocation_size_mb=" + std::to_string(kTestMemoryLimit >> 20);
  switch (profile.sanitizer) {
    case Sanitizer::thread:
      env.emplace_back("TSAN_OPTIONS", with("halt_on_error=1 second_deadlock_stack=1 history_size=4" + max_allocation +
                                            " suppressions=" + (root / "tests/support/tsan.supp").string()));
      break;
    case Sanitizer::address:
      env.emplace_back("ASAN_OPTIONS",
                       with("detect_leaks=1 abort_on_error=0 detect_stack_use_after_return=1" + max_allocation));
      env.emplace_back("UBSAN_OPTIONS", "halt_on_error=1 print_stacktrace=1");
      break;
    case Sanitizer::none:
      break;
  }
  if (!profile.preload.empty())
    env.emplace_back("LD_PRELOAD", (tree / "lib" / ("lib" + std::string(profile.preload) + ".so")).string());
  return env;
}

}  // namespace grader
