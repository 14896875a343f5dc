// The grader's commands; main.cpp only parses arguments and dispatches here.
// Each command takes the Context every command shares and a struct of its own
// options (HintOptions for hint, ...), as the command line gives them.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "commands/context.hpp"

namespace grader {

struct ListOptions {
  bool markdown = false;  // the README's exercise table instead
};
/// Every exercise, by module, with its question, status and a progress bar.
int run_list(Context& ctx, const ListOptions& options);

/// The list for watch: one line per exercise, at most `max_lines` lines (a
/// window around `current` when they do not all fit; 0 or less: no limit).
int run_list_fitted(Context& ctx, const std::string& current, int max_lines);

/// The README's exercise table, made from the metadata (one row per exercise).
std::string exercise_table_markdown(const std::vector<Exercise>& exercises);

/// The first exercise not done yet: its question, README and files.
int run_next(Context& ctx);

struct HintOptions {
  std::string name;  // the exercise
  int level = 0;     // show this many; 0: one more than last time
  bool all = false;  // show every one
};
/// Hints of an exercise, from general to specific. `in_watch`: the next one is
/// a key press away, not a command.
int run_hint(Context& ctx, const HintOptions& options, bool in_watch = false);

struct ResetOptions {
  std::string name;  // the exercise
  bool yes = false;  // do not ask
};
/// Restores an exercise's stub from git, keeping a backup of the learner's files.
int run_reset(Context& ctx, const ResetOptions& options);

struct SolutionOptions {
  std::string name;    // the exercise
  bool force = false;  // show it even before the exercise passes
};
/// Shows the reference solution of an exercise that passes (or with `force`).
int run_solution(Context& ctx, const SolutionOptions& options);

struct ExportOptions {
  std::string dir;           // a new or empty directory
  bool allow_dirty = false;  // export despite uncommitted changes in exercises/
};
/// Writes a learner's copy of the last commit to `dir`: no solutions, no
/// mutants. Refuses while exercises/ has uncommitted changes, unless `allow_dirty`.
int run_export(Context& ctx, const ExportOptions& options);

struct ChangedOptions {
  std::string base;  // its metadata decides what a learner file is
  std::string head;  // the pull request's
  bool nul = false;  // NUL-terminated records, for scripts
};
/// Files changed from the merge base of two revisions to the second:
/// "exercise <slug>" for each exercise whose learner files changed, "take
/// <path>" for those files, "ignore <path>" for every other file (the judge
/// comes from the base); one per line, or NUL-terminated with `nul`.
int run_changed(Context& ctx, const ChangedOptions& options);

struct TakeOptions {
  std::string base;           // its metadata decides what a learner file is
  std::string head;           // the pull request's
  std::string exercises_out;  // the changed exercises' slugs, NUL-terminated
  std::string ignored_out;    // the Markdown list of ignored files
};
/// Writes into the work tree, from `head`, exactly the learner files of each
/// exercise that changed (regular files only; any other mode becomes a
/// build error that says so). Writes the exercises' slugs NUL-terminated to
/// `exercises_out`, and the Markdown list of ignored files to `ignored_out`.
int run_take(Context& ctx, const TakeOptions& options);

/// The source written in place of a learner file that is not a regular file.
std::string refused_file_source(const std::string& path, const std::string& mode);

struct WatchOptions {
  std::string name;   // the exercise to start with; empty: the first not done
  bool poll = false;  // look for changes by polling instead of inotify
};
/// The interactive loop: grade the current exercise on every save.
int run_watch(Context& ctx, const WatchOptions& options);

/// Where watch's events come from: saves in the exercises' folders, and keys.
/// The terminal's is a FileWatcher and stdin; tests script their own.
class WatchInput {
 public:
  virtual ~WatchInput() = default;
  /// Called once, before the first grade: the folders whose saves count.
  virtual void start(const std::vector<std::filesystem::path>& dirs) = 0;
  virtual bool polling() const = 0;
  /// Blocks until files were saved or a key is ready; returns the saved files.
  virtual std::set<std::filesystem::path> wait(bool& key_ready) = 0;
  /// The key that is ready; false when the input has ended.
  virtual bool read_key(char& key) = 0;
  /// Whether the output is a terminal (a clean screen per verdict).
  virtual bool terminal() const = 0;
};

/// watch on a given input, starting with exercise `name` (empty: the first not done).
int run_watch(Context& ctx, const std::string& name, WatchInput& input);

struct CheckOptions {
  std::vector<std::string> names;  // empty: all
  std::string implementation = "exercise";
  std::string profile;             // empty: the default profile (pipeline/profile.hpp)
  bool all_profiles = false;       // every profile each exercise lists, as a pull request is graded
  std::string report_dir;          // results.json, junit.xml, report.md...; empty: build/reports
  int shard_k = 1, shard_n = 1;
};
/// Builds and runs the tests of the selected exercises; 0 only when all pass.
int run_check(Context& ctx, const CheckOptions& options);

struct SelfcheckOptions {
  std::vector<std::string> names;
  int mutant_runs = 3;
  std::vector<std::string> profiles;  // empty: every profile an exercise lists that the grader can build
  int shard_k = 1, shard_n = 1;
  std::string summary_file;   // "passed=N\nfailed=N\n" for scripts; empty: none
  bool reuse_results = true;  // keep results whose inputs did not change (--fresh: run everything)
  bool coverage = true;  // the solution-coverage gate (the coverage profile's build)
  bool seed_given = false;  // --seed N; else the seed comes from the course's content (course_seed)
};
/// A seed that stays the same while exercises/, solutions/ and tests/ do
/// (so an unchanged course reuses its results) and changes with any edit.
unsigned long long course_seed(const Paths& paths);
/// Proves the tests: solutions pass, stubs fail, mutants are caught.
int run_selfcheck(Context& ctx, const SelfcheckOptions& options);

}  // namespace grader
