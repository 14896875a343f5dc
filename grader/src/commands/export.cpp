// export: a learner's copy of the course for an instructor to hand out: every
// file of the last commit but solutions/ and tests/*/mutants/, as a new git
// repository. The copy builds, grades, and self-checks its stubs. It is taken
// from git, not the working tree, so an instructor's uncommitted work (a
// solved stub) never reaches learners.
#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/git.hpp"

namespace grader {
namespace fs = std::filesystem;

namespace {

bool left_out(const std::string& path) {
  if (path.rfind("solutions/", 0) == 0) return true;
  return path.rfind("tests/", 0) == 0 && path.find("/mutants/") != std::string::npos;
}

// The git command a failure names: "commit", not the "-c name=value" settings before it.
const std::string& subcommand(const std::vector<std::string>& args) {
  std::size_t i = 0;
  while (i + 1 < args.size() && args[i] == "-c") i += 2;
  return args.at(i);
}

// git in `cwd`; on failure says so on stderr.
bool git(Context& ctx, const fs::path& cwd, const std::vector<std::string>& args, std::string* output = nullptr) {
  auto r = run_git(ctx, args, cwd);
  if (output) *output = r.output;
  if (!r.exited_ok())
    ctx.err << "grader: error: git " << subcommand(args) << " failed:\n" << r.output << r.start_error << "\n";
  return r.exited_ok();
}

bool untar(Context& ctx, const fs::path& archive, const fs::path& dir) {
  ProcessSpec spec;
  spec.argv = {"tar", "-xf", archive.string()};
  spec.cwd = dir;
  spec.timeout = std::chrono::minutes(2);
  auto r = ctx.runner.run(spec);
  if (!r.exited_ok()) ctx.err << "grader: error: tar -xf failed:\n" << r.output << r.start_error << "\n";
  return r.exited_ok();
}

// Removes a left-out file and the folders it leaves empty.
void remove_with_empty_parents(const fs::path& top, const fs::path& file) {
  std::error_code ec;
  fs::remove(file, ec);
  for (auto dir = file.parent_path(); dir != top && fs::is_empty(dir, ec); dir = dir.parent_path()) fs::remove(dir, ec);
}

}  // namespace

int run_export(Context& ctx, const ExportOptions& options) {
  auto dir = fs::absolute(options.dir);
  if (fs::exists(dir) && !fs::is_empty(dir)) {
    ctx.err << "grader: error: " << dir.string() << " exists and is not empty\n";
    return kExitUsage;
  }
  std::string status;
  if (!git(ctx, ctx.paths.root, {"status", "--porcelain", "--untracked-files=all", "--", "exercises"}, &status))
    return kExitFailures;
  if (!status.empty() && !options.allow_dirty) {
    ctx.err << "grader: error: exercises/ has uncommitted changes; the learner's copy is made from the last commit "
               "and would not have them:\n"
            << status
            << "Commit or stash them, or pass --allow-dirty to export the last commit without them.\n";
    return kExitUsage;
  }

  std::string listing;
  if (!git(ctx, ctx.paths.root, {"ls-tree", "-r", "-z", "--name-only", "HEAD"}, &listing)) return kExitFailures;
  fs::create_directories(ctx.paths.build_root);
  auto archive = ctx.paths.build_root / "export.tar";
  const bool made = !fs::exists(dir);
  fs::create_directories(dir);
  // From here a failure leaves the folder as it was found, absent or empty:
  // never a half copy, which could still hold solutions/.
  auto fail = [&] {
    std::error_code ec;
    if (made) {
      fs::remove_all(dir, ec);
    } else {
      std::vector<fs::path> entries;
      for (const auto& entry : fs::directory_iterator(dir, ec)) entries.push_back(entry.path());
      for (const auto& entry : entries) fs::remove_all(entry, ec);
    }
    return kExitFailures;
  };
  bool extracted = git(ctx, ctx.paths.root, {"archive", "--format=tar", "-o", archive.string(), "HEAD"}) &&
                   untar(ctx, archive, dir);
  fs::remove(archive);
  if (!extracted) return fail();

  int copied = 0, skipped = 0;
  for (const auto& path : split_nul(listing)) {
    if (!left_out(path)) {
      ++copied;
      continue;
    }
    remove_with_empty_parents(dir, dir / path);
    ++skipped;
  }
  if (!git(ctx, dir, {"init", "-q", "-b", "main"}) || !git(ctx, dir, {"add", "-A"}) ||
      !git(ctx, dir, {"-c", "user.name=concurrency-kata", "-c", "user.email=kata@localhost", "commit", "-q", "-m",
                      "concurrency-kata: learner's copy"}))
    return fail();
  ctx.out << fmt::format("Wrote a learner's copy of the last commit to {}: {} files, without solutions and mutants "
                         "({} files left out).\n",
                         dir.string(), copied, skipped);
  if (!status.empty()) ctx.out << "Uncommitted changes in exercises/ were left out (--allow-dirty).\n";
  ctx.out << "It is a git repository with one commit; push it where your learners clone from.\n";
  return kExitPass;
}

}  // namespace grader
