// changed: what a pull request changed, sorted by what the grader may take
// from it. Only the files the base branch's metadata lets the learner edit
// are taken; everything else (tests, metadata, grader, workflows) is ignored
// and reported, so the judge always comes from the base branch.
#include "commands/changes.hpp"

#include <iostream>
#include <map>
#include <set>

#include "commands/commands.hpp"

namespace grader {

ChangeSet sort_changes(const Catalog& catalog, const std::vector<std::string>& paths) {
  std::map<std::string, std::set<std::string>> editable;  // slug -> files
  for (const auto& ex : catalog.exercises) editable[ex.slug] = {ex.files.begin(), ex.files.end()};
  std::set<std::string> exercises;
  ChangeSet out;
  for (const auto& path : paths) {
    if (path.empty()) continue;
    // exercises/<slug>/<file>, where <file> is one the metadata names
    bool learner = false;
    if (path.rfind("exercises/", 0) == 0) {
      auto slash = path.find('/', 10);
      if (slash != std::string::npos) {
        auto slug = path.substr(10, slash - 10);
        auto file = path.substr(slash + 1);
        auto it = editable.find(slug);
        learner = it != editable.end() && it->second.count(file);
        if (learner) exercises.insert(slug);
      }
    }
    (learner ? out.take : out.ignore).push_back(path);
  }
  out.exercises.assign(exercises.begin(), exercises.end());
  return out;
}

bool changes_between(Context& ctx, const std::string& base, const std::string& head, ChangeSet& out,
                     std::string& merge_base) {
  // Against the merge base: what the pull request changed, not what the base
  // branch gained since the learner branched off.
  auto mb = run_git(ctx, {"merge-base", base, head});
  if (!mb.exited_ok()) {
    ctx.err << "grader: error: git merge-base " << base << " " << head << " failed:\n"
            << mb.output << mb.start_error << "\n";
    return false;
  }
  merge_base = mb.output.substr(0, mb.output.find_first_of("\r\n"));
  auto diff = run_git(ctx, {"diff", "--name-only", "--no-renames", "-z", merge_base, head, "--"});
  if (!diff.exited_ok()) {
    ctx.err << "grader: error: git diff " << merge_base << " " << head << " failed:\n"
            << diff.output << diff.start_error << "\n";
    return false;
  }
  out = sort_changes(load_catalog(ctx.paths.exercises), split_nul(diff.output));
  return true;
}

int run_changed(Context& ctx, const ChangedOptions& options) {
  ChangeSet changes;
  std::string merge_base;
  if (!changes_between(ctx, options.base, options.head, changes, merge_base)) return kExitUsage;
  // One record per line for people; NUL-terminated for scripts, since a path
  // may hold a newline.
  const char end = options.nul ? '\0' : '\n';
  for (const auto& slug : changes.exercises) ctx.out << "exercise " << slug << end;
  for (const auto& p : changes.take) ctx.out << "take " << p << end;
  for (const auto& p : changes.ignore) ctx.out << "ignore " << p << end;
  return kExitPass;
}

}  // namespace grader
