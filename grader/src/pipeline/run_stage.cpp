// run: list each built binary's tests (over the result channel), then run
// every test case in its own process, several at once.
#include <algorithm>
#include <atomic>
#include <thread>

#include "build/compile_digest.hpp"
#include "collect/coverage.hpp"
#include "collect/verdict.hpp"
#include "pipeline/grade.hpp"
#include "pipeline/result_cache.hpp"

namespace grader {

namespace {

// One test process per core (and, for a mutant's later seeds, a slot per
// core for tests that failed asleep: run_jobs). Tests mostly wait, yet more at once cost the
// ones that need threads truly in parallel: two try_locks meeting at one
// instant, or a data race ThreadSanitizer sees only when the accesses overlap
// (three per core while the cores idle let 18's shared_rng mutant pass).
int test_slots(const Context& ctx) {
  if (ctx.jobs > 0) return ctx.jobs;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

// Everything the subject's result depends on, as text: the grader itself,
// the binary and shim (by size and time: a build replaces them), and how it runs.
std::string cache_key(const Context& ctx, const Subject& s, const std::filesystem::path& binary,
                      const std::vector<std::pair<std::string, std::string>>& env) {
  std::error_code ec;
  auto grader = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::string key = "grader " + ResultCache::file_stamp(grader) + " binary " + binary.string() + " " +
                    ResultCache::file_stamp(binary);
  for (const auto& [name, value] : env) {
    key += " " + name + "=" + value;
    if (name == "LD_PRELOAD") key += " " + ResultCache::file_stamp(value);
  }
  const auto [schedules, budget_s] = schedules_of(*s.exercise, *s.profile);
  key += " schedules " + std::to_string(schedules) + " budget " + std::to_string(budget_s);
  key += " timeout " + std::to_string(s.exercise->timeout_s) + " first-failure " +
         std::to_string(s.first_failure_is_enough) + " stacks " + std::to_string(ctx.collect_stacks) + " reveal " +
         std::to_string(ctx.reveal_hidden) + " user " + (ctx.run_as ? std::to_string(ctx.run_as->first) : "-");
  for (auto& c : key)
    if (c == '\n') c = ' ';
  return key;
}

// What a binary's listing said.
struct Listing {
  bool ok = false;
  std::vector<std::string> names;
  std::map<std::string, std::string> tags;
  std::string why;
};

// Lists every binary's tests, one listing per core at once: a sanitized
// binary takes a while to start, and there are hundreds.
void list_all(Context& ctx, std::map<std::filesystem::path, Listing>& listings) {
  std::vector<std::pair<const std::filesystem::path, Listing>*> todo;
  for (auto& entry : listings) todo.push_back(&entry);
  std::atomic<std::size_t> next{0};
  const int threads = std::max(1, ctx.jobs > 0 ? ctx.jobs : static_cast<int>(std::thread::hardware_concurrency()));
  std::vector<std::jthread> listers;
  for (int t = 0; t < threads; ++t)
    listers.emplace_back([&] {
      for (std::size_t k; (k = next++) < todo.size();) {
        auto& [binary, listing] = *todo[k];
        listing.ok = list_test_names(ctx.runner, binary, "", listing.names, listing.why, ctx.run_as, &listing.tags);
      }
    });
}

}  // namespace

std::pair<int, double> schedules_of(const Exercise& exercise, const Profile& profile) {
  auto own = exercise.schedules.find(std::string(profile.name));
  int schedules = profile.schedules;
  double budget_s = profile.schedule_budget_s;
  if (own != exercise.schedules.end()) {
    if (own->second.first > 0) schedules = own->second.first;
    if (own->second.second > 0) budget_s = own->second.second;
  }
  return {schedules, budget_s};
}

RunOutput run_stage(Context& ctx, Plan& plan, const std::map<std::string, BuildOutcome>& builds,
                    const PipelineProgress& progress) {
  RunOutput out;
  struct Listed {
    std::size_t subject;
    std::filesystem::path binary;
    std::vector<std::pair<std::string, std::string>> env;
  };
  std::vector<Listed> listed;  // subjects whose binary's tests are to be listed, then run
  for (std::size_t i = 0; i < plan.subjects.size(); ++i) {
    if (!plan.ready[i]) continue;
    const auto& s = plan.subjects[i];
    auto& r = plan.results[i];
    const auto tree = std::string(s.profile->build_tree);
    const auto& build = builds.at(tree);
    auto fail = [&](Verdict verdict, std::string message) {
      r.verdict = verdict;
      r.message = std::move(message);
      plan.ready[i] = false;
    };
    auto target = r.slug + "." + s.implementation;
    if (!build.configured) {
      fail(Verdict::error, "configuring the build failed:\n" + compile_digest(build.configure_log));
      continue;
    }
    if (auto f = build.failed.find(target); f != build.failed.end()) {
      auto prefer = s.implementation == "exercise" ? "exercises/" + r.slug + "/" : r.slug;
      fail(Verdict::build_error, ctx.run_as ? compile_digest(f->second, prefer, 3, /*hide_others=*/true)
                                            : compile_digest(f->second, prefer) + "\n(full log: " + build.log_path + ")");
      continue;
    }
    if (!s.profile->preload.empty()) {
      if (auto f = build.failed.find(std::string(s.profile->preload)); f != build.failed.end()) {
        fail(Verdict::error, "building the " + std::string(s.profile->name) + " profile's shim failed:\n" +
                                 compile_digest(f->second));
        continue;
      }
    }
    auto binary = ctx.paths.binary(tree, r.slug, s.implementation);
    auto options = s.exercise->profiles.count(r.profile) ? s.exercise->profiles.at(r.profile) : "";
    auto env = profile_environment(*s.profile, options, ctx.paths.root, ctx.paths.tree(tree), s.seed);
    if (ctx.reuse_results && s.keep_if) {
      plan.cache_keys[i] = cache_key(ctx, s, binary, env);
      if (auto kept = ResultCache(ctx.paths.tree(tree) / "results-cache").find(plan.cache_keys[i])) {
        r = *kept;
        plan.ready[i] = false;
        plan.reused[i] = true;
        continue;
      }
    }
    // Counters of an earlier binary must go before anything runs this one:
    // even listing its tests would merge into them (and gcov's complaints
    // would be read as test names).
    if (s.profile->measures_coverage)
      reset_coverage_counters(coverage_object_dirs(ctx.paths.tree(tree), r.slug, s.implementation));
    listed.push_back({i, binary, std::move(env)});
  }

  // Each binary is listed once (a mutant's three seeds share it; a listing
  // runs without the profile's environment), and the listings run side by side.
  std::map<std::filesystem::path, Listing> listings;
  for (const auto& l : listed) listings[l.binary];
  list_all(ctx, listings);

  for (auto& [i, binary, env] : listed) {
    const auto& s = plan.subjects[i];
    auto& r = plan.results[i];
    const auto tree = std::string(s.profile->build_tree);
    const auto& listing = listings.at(binary);
    if (!listing.ok) {
      r.verdict = Verdict::error;
      r.message = "could not list the tests: " + listing.why;
      plan.ready[i] = false;
      continue;
    }
    if (listing.names.empty()) {
      r.verdict = Verdict::no_tests;
      r.message = "the test binary has no test cases";
      plan.ready[i] = false;
      continue;
    }
    auto tagged = [&](const std::string& name, const char* tag) {
      auto t = listing.tags.find(name);
      return t != listing.tags.end() && t->second.find(tag) != std::string::npos;
    };
    auto work_dir = ctx.paths.tree(tree) / s.profile->runs_dir / r.slug / s.implementation / std::to_string(s.seed);
    // Several schedules per test case where the profile or kata.json asks:
    // the first run uses the seed itself, each next one a seed of its own.
    std::vector<std::vector<std::pair<std::string, std::string>>> schedules;
    const auto [count, budget_s] = schedules_of(*s.exercise, *s.profile);
    for (int k = 0; count > 1 && k < count; ++k) schedules.push_back(schedule_environment(*s.profile, schedule_seed(s.seed, k)));
    for (const auto& name : listing.names) {
      TestJob job;
      job.binary = binary;
      job.test_name = name;
      job.work_dir = work_dir;
      job.run_as = ctx.run_as;
      job.env = env;
      job.memory_limit = memory_limit(*s.profile);
      job.timeout_s = s.exercise->timeout_s;
      job.alone = tagged(name, "[timing]");
      // A run that only needs to know whether it fails (a mutant) skips gdb.
      job.collect_stacks = ctx.collect_stacks && !s.first_failure_is_enough;
      job.no_aslr = needs_no_aslr(*s.profile);
      job.schedules = schedules;
      job.schedule_budget_s = budget_s;
      job.record_trace = s.profile->preload == "kata_explore" && !s.first_failure_is_enough;
      job.group = i;
      job.stop_group_on_failure = s.first_failure_is_enough;
      if (s.first_failure_is_enough) job.family = r.slug + "." + s.implementation;  // a mutant's seeds
      out.jobs.push_back(std::move(job));
      out.hidden.push_back(tagged(name, "[hidden]"));
    }
  }

  if (progress.running && !out.jobs.empty()) progress.running(out.jobs.size());
  std::size_t done = 0;
  out.evidence = run_jobs(
      ctx.runner, out.jobs, test_slots(ctx),
      [](const CaseEvidence& evidence) { return judge(evidence).status == TestStatus::pass; },
      [&](const TestJob&, const CaseEvidence&) {
        if (progress.case_done) progress.case_done(++done, out.jobs.size());
      });
  if (progress.ran && !out.jobs.empty()) progress.ran();
  return out;
}

}  // namespace grader
