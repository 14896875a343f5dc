// changed: what a pull request changed, sorted by what the grader may take
// from it. Only the files the base branch's metadata lets the learner edit
// are taken; everything else (tests, metadata, grader, workflows) is ignored
// and reported, so the judge always comes from the base branch.
#include <map>
#include <set>

#include "commands/commands.hpp"

namespace grader {

int run_changed(Context& ctx, const std::string& base, const std::string& head) {
  ProcessSpec spec;
  spec.argv = {"git", "diff", "--name-only", "--no-renames", "-z", base, head, "--"};
  spec.cwd = ctx.paths.root;
  spec.timeout = std::chrono::minutes(2);
  spec.output_cap = 64 * 1024 * 1024;
  auto r = ctx.runner.run(spec);
  if (!r.exited_ok()) {
    ctx.out << "grader: error: git diff " << base << " " << head << " failed:\n" << r.output << r.start_error;
    return kExitUsage;
  }
  auto catalog = load_catalog(ctx.paths.exercises);
  std::map<std::string, std::set<std::string>> editable;  // slug -> files
  for (const auto& ex : catalog.exercises) editable[ex.slug] = {ex.files.begin(), ex.files.end()};

  std::set<std::string> exercises;
  std::vector<std::string> take, ignore;
  for (std::size_t start = 0; start < r.output.size();) {
    auto end = r.output.find('\0', start);
    if (end == std::string::npos) end = r.output.size();
    std::string path = r.output.substr(start, end - start);
    start = end + 1;
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
    (learner ? take : ignore).push_back(path);
  }
  for (const auto& slug : exercises) ctx.out << "exercise " << slug << "\n";
  for (const auto& p : take) ctx.out << "take " << p << "\n";
  for (const auto& p : ignore) ctx.out << "ignore " << p << "\n";
  return kExitPass;
}

}  // namespace grader
