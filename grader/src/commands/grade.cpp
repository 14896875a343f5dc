#include "commands/grade.hpp"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <thread>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build.hpp"
#include "build/compile_digest.hpp"
#include "build/forbidden.hpp"
#include "collect/coverage.hpp"
#include "collect/verdict.hpp"
#include "run/test_runner.hpp"

namespace grader {
namespace fs = std::filesystem;

std::vector<std::string> forbidden_uses(const Context& ctx, const Exercise& ex) {
  std::vector<std::string> uses;
  for (const auto& file : ex.files) {
    std::ifstream in(ctx.paths.exercises / ex.slug / file);
    std::stringstream source;
    source << in.rdbuf();
    for (const auto& f : ex.forbidden)
      for (int line : find_symbol(source.str(), f.symbol))
        uses.push_back(fmt::format("exercises/{}/{}:{}: '{}' is not allowed here: {}", ex.slug, file, line,
                                   f.symbol, f.hint));
  }
  return uses;
}

// The folder holding the implementation's own files, whose coverage counts.
fs::path implementation_dir(const Paths& paths, const std::string& profile, const std::string& slug,
                            const std::string& implementation) {
  if (implementation == "exercise") return paths.exercises / slug;
  if (implementation == "solution") return paths.root / "solutions" / slug;
  return paths.profile_tree(profile) / "impl" / slug / implementation;  // a mutant's overlay
}

std::vector<ExerciseResult> grade(Context& ctx, const std::vector<Subject>& subjects) {
  std::vector<ExerciseResult> results(subjects.size());
  std::vector<bool> ready(subjects.size(), false);
  std::map<std::string, std::set<std::string>> targets_by_profile;

  for (std::size_t i = 0; i < subjects.size(); ++i) {
    const auto& s = subjects[i];
    auto& r = results[i];
    r.slug = s.exercise->slug;
    r.title = s.exercise->title;
    r.implementation = s.implementation;
    r.profile = s.profile;
    r.max_points = s.exercise->points;
    if (s.implementation == "exercise") {
      if (auto uses = forbidden_uses(ctx, *s.exercise); !uses.empty()) {
        r.verdict = Verdict::forbidden;
        for (const auto& u : uses) r.message += (r.message.empty() ? "" : "\n") + u;
        continue;
      }
    }
    targets_by_profile[Paths::build_profile(s.profile)].insert(r.slug + "." + s.implementation);
    if (s.profile == "noise" || s.profile == "explore") targets_by_profile["plain"].insert("kata_" + s.profile);
    ready[i] = true;
  }

  // build
  std::map<std::string, BuildOutcome> builds;
  for (const auto& [profile, targets] : targets_by_profile) {
    ctx.out << fmt::format("building {} test binar{} ({})...\n", targets.size(), targets.size() == 1 ? "y" : "ies",
                           profile)
            << std::flush;
    BuildRequest request{profile, {targets.begin(), targets.end()}, ctx.jobs, ctx.run_as, {}};
    // A first build takes minutes: on a terminal, ninja's progress as it goes.
    if (isatty(STDOUT_FILENO))
      request.on_progress = [&](int done, int total) {
        ctx.out << fmt::format("\r  built {} of {} steps", done, total) << std::flush;
      };
    builds[profile] = build_targets(ctx.runner, ctx.paths, request);
    if (request.on_progress) ctx.out << "\r" << std::string(40, ' ') << "\r" << std::flush;
  }

  // The learner's code runs from here on. As another user it must not read
  // the hidden tests (or a private course's): only the compilers needed them.
  if (ctx.run_as) {
    std::set<std::string> slugs;
    for (const auto& s : subjects) slugs.insert(s.exercise->slug);
    for (const auto& slug : slugs) {
      auto dir = ctx.paths.tests / slug;
      struct stat st {};
      if (::stat(dir.c_str(), &st) == 0 && (st.st_uid == ctx.run_as->first || ::chmod(dir.c_str(), 0700) != 0))
        std::cerr << "grader: warning: cannot hide " << dir.string() << " from the tests' user\n";
    }
  }

  // run: list each binary's tests, then run them all in one pool
  std::vector<TestJob> jobs;
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    if (!ready[i]) continue;
    const auto& s = subjects[i];
    auto& r = results[i];
    const auto& build = builds[Paths::build_profile(s.profile)];
    auto target = r.slug + "." + s.implementation;
    if (!build.configured) {
      r.verdict = Verdict::error;
      r.message = "configuring the build failed:\n" + compile_digest(build.configure_log);
      ready[i] = false;
      continue;
    }
    if (auto f = build.failed.find(target); f != build.failed.end()) {
      r.verdict = Verdict::build_error;
      auto prefer = s.implementation == "exercise" ? "exercises/" + r.slug + "/" : r.slug;
      r.message = ctx.run_as ? compile_digest(f->second, prefer, 3, /*hide_others=*/true)
                             : compile_digest(f->second, prefer) + "\n(full log: " + build.log_path + ")";
      ready[i] = false;
      continue;
    }
    auto binary = ctx.paths.binary(s.profile, r.slug, s.implementation);
    // Counters of an earlier binary must go before anything runs this one:
    // even listing its tests would merge into them (and gcov's complaints
    // would be read as test names).
    if (s.profile == "coverage")
      reset_coverage_counters(coverage_object_dirs(ctx.paths.profile_tree("coverage"), r.slug, s.implementation));
    std::vector<std::string> names, timing, hidden;
    std::string why;
    if (!list_test_names(ctx.runner, binary, "", names, why, ctx.run_as) ||
        !list_test_names(ctx.runner, binary, "[timing]", timing, why, ctx.run_as) ||
        !list_test_names(ctx.runner, binary, "[hidden]", hidden, why, ctx.run_as)) {
      r.verdict = Verdict::error;
      r.message = "could not list the tests: " + why;
      ready[i] = false;
      continue;
    }
    if (names.empty()) {
      r.verdict = Verdict::no_tests;
      r.message = "the test binary has no test cases";
      ready[i] = false;
      continue;
    }
    auto options = s.exercise->profiles.count(s.profile) ? s.exercise->profiles.at(s.profile) : "";
    auto env = profile_environment(s.profile, options, ctx.paths.root, s.seed);
    if (s.profile == "noise" || s.profile == "explore") {
      if (auto f = build.failed.find("kata_" + s.profile); f != build.failed.end()) {
        r.verdict = Verdict::error;
        r.message = "building the " + s.profile + " shim failed:\n" + compile_digest(f->second);
        ready[i] = false;
        continue;
      }
      env.emplace_back("LD_PRELOAD", (ctx.paths.profile_tree(s.profile) / "lib" / ("libkata_" + s.profile + ".so")).string());
    }
    auto work_dir = ctx.paths.run_dir(s.profile, r.slug, s.implementation) / std::to_string(s.seed);
    for (const auto& name : names) {
      TestJob job;
      job.binary = binary;
      job.test_name = name;
      job.work_dir = work_dir;
      job.run_as = ctx.run_as;
      job.env = env;
      job.timeout_s = s.exercise->timeout_s;
      job.alone = std::find(timing.begin(), timing.end(), name) != timing.end();
      job.hidden = std::find(hidden.begin(), hidden.end(), name) != hidden.end();
      // A run that only needs to know whether it fails (a mutant) skips gdb.
      job.collect_stacks = ctx.collect_stacks && !s.first_failure_is_enough;
      // TSan's shadow memory layout breaks with more than 28 bits of mmap
      // randomization (GitHub's runners have 32); without ASLR it always fits.
      job.no_aslr = s.profile == "tsan";
      job.group = i;
      job.stop_group_on_failure = s.first_failure_is_enough;
      jobs.push_back(std::move(job));
    }
  }

  const bool terminal = isatty(STDOUT_FILENO);
  std::size_t done = 0;
  if (!jobs.empty()) ctx.out << fmt::format("running {} test case{}...\n", jobs.size(), jobs.size() == 1 ? "" : "s") << std::flush;
  auto test_results = run_jobs(ctx.runner, jobs, ctx.jobs > 0 ? ctx.jobs : static_cast<int>(std::thread::hardware_concurrency()),
                               [&](const TestJob&, const TestResult&) {
                                 ++done;
                                 if (terminal) ctx.out << fmt::format("\r  {}/{} done", done, jobs.size()) << std::flush;
                               });
  if (terminal && !jobs.empty()) ctx.out << "\r" << std::string(30, ' ') << "\r" << std::flush;

  // collect
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    auto& r = results[jobs[j].group];
    test_results[j].hidden = jobs[j].hidden;
    if (jobs[j].hidden && !ctx.reveal_hidden) conceal(test_results[j]);
    r.seconds += test_results[j].seconds;
    r.tests.push_back(std::move(test_results[j]));
  }
  // Paths in messages are shown relative to the repository.
  const auto root_prefix = ctx.paths.root.string() + "/";
  auto relative = [&](std::string& text) {
    for (std::size_t at; (at = text.find(root_prefix)) != std::string::npos;) text.erase(at, root_prefix.size());
  };
  for (auto& r : results) {
    relative(r.message);
    for (auto& t : r.tests) relative(t.message);
  }
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    if (!ready[i]) continue;
    auto& r = results[i];
    r.verdict = verdict_from_tests(r.tests);
    r.points = r.verdict == Verdict::pass ? r.max_points : 0;
    if (subjects[i].profile == "coverage") {
      auto tree = ctx.paths.profile_tree("coverage");
      r.coverage = measure_coverage(ctx.runner, coverage_object_dirs(tree, r.slug, r.implementation),
                                    implementation_dir(ctx.paths, "coverage", r.slug, r.implementation),
                                    tree / "lcov" / r.slug / r.implementation,
                                    ctx.paths.build_root / "reports" / "coverage" / r.slug / r.implementation);
    }
  }
  return results;
}

}  // namespace grader
