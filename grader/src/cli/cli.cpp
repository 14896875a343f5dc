#include "cli/cli.hpp"

#include "pipeline/profile.hpp"

#include <CLI/CLI.hpp>

namespace grader {
namespace {

// "K/N" for --shard.
bool parse_shard(const std::string& text, int& k, int& n) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return false;
  try {
    k = std::stoi(text.substr(0, slash));
    n = std::stoi(text.substr(slash + 1));
  } catch (...) {
    return false;
  }
  return n >= 1 && k >= 1 && k <= n;
}

// CLI11 says only "A subcommand is required" when no command is recognised:
// name the one given, if any, and every command there is.
void explain_missing_command(CLI::App& app) {
  auto given = app.remaining();
  if (given.empty()) std::cerr << "grader: error: a command is required. The commands are:\n";
  else std::cerr << "grader: error: unknown command '" << given.front() << "'. The commands are:\n";
  for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    auto name = sub->get_name();
    std::cerr << "  " << name << std::string(name.size() < 11 ? 11 - name.size() : 1, ' ') << sub->get_description()
              << "\n";
  }
  std::cerr << "Each command's options: ./kata COMMAND --help\n";
}

// The exercise that hint, reset and solution are for.
void add_required_exercise(CLI::App& command, std::string& name) {
  command.add_option("exercise", name, "The exercise")->required();
}

}  // namespace

int parse_command_line(int argc, char** argv, CommandLine& cl) {
  CLI::App app{"grader: builds and runs the hidden tests of concurrency-kata's exercises", "grader"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the command: `check 16 --seed 3`
  app.option_defaults()->always_capture_default();
  app.add_option("--root", cl.root, "Repository root (default: found from the working directory)");
  app.add_option("--build-dir", cl.build_dir, "Where build trees and reports go (default: build/)");
  app.add_option("--tests", cl.tests_dir, "Tests directory to grade with (an instructor's private copy)");
  app.add_option("-j,--jobs", cl.jobs, "Build jobs and parallel tests (default: number of cores)");
  app.add_option("--seed", cl.seed, "Seed for the tests' injected delays (default: random, printed; selfcheck: from the course's content)");
  app.add_flag("--no-stacks", cl.no_stacks, "Do not collect thread stacks with gdb on a timeout");
  app.add_option("--run-as", cl.run_as,
                 "As root: run builds and tests as this user, and keep the reports root's (the trusted grading)");

  auto* list = app.add_subcommand("list", "List every exercise with its question and your progress");
  list->add_flag("--markdown", cl.list.markdown, "Print the README's exercise table instead");

  std::string shard;
  auto* check = app.add_subcommand("check", "Build and run the tests of exercises (default: all)");
  check->add_option("exercises", cl.check.names, "Exercises: slug, number or name (16, deadlock, 16-deadlock)");
  check->add_option("--impl", cl.check.implementation, "Implementation: exercise, solution or mutant.NAME");
  std::string profiles_help = "Profile (default " + std::string(grader::default_profile().name) + "):";
  std::vector<std::string> profile_names;
  for (const auto& p : grader::all_profiles()) {
    profiles_help += "\n  " + std::string(p.name) + ": " + std::string(p.what);
    profile_names.emplace_back(p.name);
  }
  auto* profile = check->add_option("--profile", cl.check.profile, profiles_help)->check(CLI::IsMember(profile_names));
  check
      ->add_flag("--all-profiles", cl.check.all_profiles,
                 "Under every profile each exercise lists, one after another: an exercise passes only if it passes "
                 "under each (pull requests are graded so)")
      ->excludes(profile);
  check->add_option("--report-dir", cl.check.report_dir,
                    "Where to write results.json, junit.xml, report.md, gradescope.json, exercism/ (default: build/reports)");
  check->add_flag("--reveal-hidden", cl.reveal_hidden, "Show the details of hidden tests (for instructors)");
  check->add_option("--shard", shard, "Grade only shard K of N (K/N), exercises split evenly");

  auto* hint = app.add_subcommand("hint", "Show an exercise's hints: one more each time");
  add_required_exercise(*hint, cl.hint.name);
  hint->add_option("--level", cl.hint.level, "Show this many hints");
  hint->add_flag("--all", cl.hint.all, "Show every hint");

  auto* next = app.add_subcommand("next", "The first exercise not done yet: its question and files");

  auto* watch = app.add_subcommand("watch", "Grade the current exercise on every save (the learner's loop)");
  watch->add_option("exercise", cl.watch.name, "Start with this exercise (default: the first not done)");
  watch->add_flag("--poll", cl.watch.poll, "Look for changes every half second instead of using inotify");

  auto* reset = app.add_subcommand("reset", "Restore an exercise's stub from git (your files are backed up)");
  add_required_exercise(*reset, cl.reset.name);
  reset->add_flag("-y,--yes", cl.reset.yes, "Do not ask");

  auto* solution = app.add_subcommand("solution", "Show the reference solution of an exercise you solved");
  add_required_exercise(*solution, cl.solution.name);
  solution->add_flag("--force", cl.solution.force, "Show it even before the exercise passes");

  auto* exporter = app.add_subcommand("export", "Write a learner's copy of the course (no solutions, no mutants)");
  exporter->add_option("directory", cl.export_options.dir, "A new or empty directory")->required();
  exporter->add_flag("--allow-dirty", cl.export_options.allow_dirty,
                     "Export the last commit even when exercises/ has uncommitted changes");

  auto* changed = app.add_subcommand("changed", "Sort the files changed between two revisions into learner files and others");
  changed->add_option("base", cl.changed.base, "The base revision (its metadata decides)")->required();
  changed->add_option("head", cl.changed.head, "The pull request's head revision")->required();
  changed->add_flag("-z", cl.changed.nul, "End each record with NUL instead of a newline (for scripts)");

  auto* take = app.add_subcommand("take", "Write into this tree exactly the learner files a pull request changed");
  take->add_option("base", cl.take.base, "The base revision (its metadata decides)")->required();
  take->add_option("head", cl.take.head, "The pull request's head revision")->required();
  take->add_option("--exercises-out", cl.take.exercises_out,
                   "Where to write the changed exercises' slugs, NUL-terminated")
      ->required();
  take->add_option("--ignored-out", cl.take.ignored_out, "Where to write the Markdown list of ignored files")
      ->required();

  std::string selfcheck_shard;
  auto* selfcheck = app.add_subcommand("selfcheck", "Prove the tests: solutions pass, stubs fail, mutants are caught");
  selfcheck->add_option("exercises", cl.selfcheck.names, "Exercises (default: all)");
  selfcheck->add_option("--mutant-runs", cl.selfcheck.mutant_runs, "Runs (seeds 1..N) per mutant")->check(CLI::Range(1, 20));
  selfcheck->add_option("--profile", cl.selfcheck.profiles, "Only these profiles for solutions (repeatable)")
      ->check(CLI::IsMember(profile_names));
  selfcheck->add_option("--shard", selfcheck_shard, "Check only shard K of N (K/N)");
  bool no_coverage = false;
  selfcheck->add_flag("--no-coverage", no_coverage, "Skip the gate on the solutions' line coverage");
  selfcheck->add_option("--summary", cl.selfcheck.summary_file,
                        "Also write the counts to this file, for scripts: lines passed=N and failed=N");
  bool fresh = false;
  selfcheck->add_flag("--fresh", fresh,
                      "Run everything; by default a result is reused when nothing it depends on changed since it ran");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (dynamic_cast<const CLI::RequiredError*>(&e) && app.get_subcommands().empty()) {
      explain_missing_command(app);
      return kExitUsage;
    }
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  for (auto* sub : {list, check, hint, next, watch, reset, solution, exporter, changed, take, selfcheck})
    if (sub->parsed()) cl.command = sub->get_name();
  if (!shard.empty() && !parse_shard(shard, cl.check.shard_k, cl.check.shard_n)) {
    std::cerr << "grader: error: --shard takes K/N with 1 <= K <= N, e.g. 2/4\n";
    return kExitUsage;
  }
  cl.selfcheck.coverage = !no_coverage;
  cl.selfcheck.reuse_results = !fresh;
  cl.selfcheck.seed_given = cl.seed >= 0;
  if (!selfcheck_shard.empty() && !parse_shard(selfcheck_shard, cl.selfcheck.shard_k, cl.selfcheck.shard_n)) {
    std::cerr << "grader: error: --shard takes K/N with 1 <= K <= N, e.g. 2/4\n";
    return kExitUsage;
  }
  return -1;
}

}  // namespace grader
