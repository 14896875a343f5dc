// reset: the one command that writes into exercises/. It takes the stub from
// git (the upstream branch when there is one: a learner's own commits may
// hold their work), after copying the learner's files to .kata/backup/.
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <unistd.h>

#include "commands/commands.hpp"
#include "commands/named_exercise.hpp"
#include "commands/git.hpp"
#include "state/progress.hpp"

namespace grader {
namespace fs = std::filesystem;

namespace {

std::string stub_revision(Context& ctx) {
  std::vector<std::string> candidates;
  if (const char* ref = std::getenv("KATA_STUB_REF"); ref && *ref) candidates.push_back(ref);
  for (const char* ref : {"origin/HEAD", "origin/main", "HEAD"}) candidates.push_back(ref);
  for (const auto& rev : candidates) {
    if (run_git(ctx, {"rev-parse", "--verify", "--quiet", rev + "^{commit}"}).exited_ok()) return rev;
  }
  return "";
}

std::string timestamp() {
  auto now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%d-%H%M%S", std::localtime(&now));
  return buffer;
}

}  // namespace

int run_reset(Context& ctx, const ResetOptions& options) {
  auto catalog = load_catalog(ctx.paths.exercises);
  const auto* found = named_exercise(ctx, catalog, options.name);
  if (!found) return kExitUsage;
  const auto& ex = *found;
  auto rev = stub_revision(ctx);
  if (rev.empty()) {
    ctx.err << "grader: error: reset needs git history (no origin/main or HEAD here)\n";
    return kExitUsage;
  }
  // Read every stub file first: nothing is changed unless all of them exist.
  // The given files too: the learner was not to change them, but may have.
  std::vector<std::pair<std::string, std::string>> stubs;
  for (const auto& f : ex.sources()) {
    auto r = run_git(ctx, {"show", rev + ":exercises/" + ex.slug + "/" + f});
    if (!r.exited_ok()) {
      ctx.err << "grader: error: exercises/" << ex.slug << "/" << f << " is not in " << rev << "\n";
      return kExitFailures;
    }
    stubs.emplace_back(f, r.output);
  }

  auto backup = ctx.paths.root / ".kata" / "backup" / (ex.slug + "-" + timestamp());
  if (!options.yes) {
    if (!isatty(STDIN_FILENO)) {
      ctx.err << "grader: error: reset overwrites your files; confirm with --yes\n";
      return kExitUsage;
    }
    ctx.out << fmt::format("Reset exercises/{} to its stub from {}?\nYour files are kept in {}. [y/N] ", ex.slug, rev,
                           fs::relative(backup, ctx.paths.root).string())
            << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      ctx.out << "Nothing changed.\n";
      return kExitPass;
    }
  }
  fs::create_directories(backup);
  for (const auto& [f, content] : stubs) {
    auto path = ctx.paths.exercises / ex.slug / f;
    std::error_code ec;
    if (fs::exists(path)) fs::copy_file(path, backup / f, fs::copy_options::overwrite_existing, ec);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  }
  auto progress = Progress::load(ctx.progress_file());
  progress.of(ex.slug) = {};
  progress.save();
  ctx.out << fmt::format("exercises/{} is its stub again; your files are in {}\n", ex.slug,
                         fs::relative(backup, ctx.paths.root).string());
  return kExitPass;
}

}  // namespace grader
