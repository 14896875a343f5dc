// export: a learner's copy of the course for an instructor to hand out: every
// tracked file but solutions/ and tests/*/mutants/, as a new git repository.
// The copy builds, grades, and self-checks its stubs.
#include <fmt/format.h>

#include "commands/commands.hpp"

namespace grader {
namespace fs = std::filesystem;

namespace {

bool left_out(const std::string& path) {
  if (path.rfind("solutions/", 0) == 0) return true;
  return path.rfind("tests/", 0) == 0 && path.find("/mutants/") != std::string::npos;
}

bool git(Context& ctx, const fs::path& cwd, std::vector<std::string> args, std::string* output = nullptr) {
  ProcessSpec spec;
  spec.argv = {"git"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = cwd;
  spec.timeout = std::chrono::minutes(2);
  spec.output_cap = 64 * 1024 * 1024;
  auto r = ctx.runner.run(spec);
  if (output) *output = r.output;
  if (!r.exited_ok()) ctx.out << "grader: error: git " << args.front() << " failed:\n" << r.output << r.start_error << "\n";
  return r.exited_ok();
}

}  // namespace

int run_export(Context& ctx, const std::string& dir_arg) {
  auto dir = fs::absolute(dir_arg);
  if (fs::exists(dir) && !fs::is_empty(dir)) {
    ctx.out << "grader: error: " << dir.string() << " exists and is not empty\n";
    return kExitUsage;
  }
  std::string listing;
  if (!git(ctx, ctx.paths.root, {"ls-files", "-z"}, &listing)) return kExitFailures;
  int copied = 0, skipped = 0;
  for (std::size_t start = 0; start < listing.size();) {
    auto end = listing.find('\0', start);
    if (end == std::string::npos) end = listing.size();
    std::string path = listing.substr(start, end - start);
    start = end + 1;
    if (path.empty()) continue;
    if (left_out(path)) {
      ++skipped;
      continue;
    }
    fs::create_directories((dir / path).parent_path());
    std::error_code ec;
    fs::copy_file(ctx.paths.root / path, dir / path, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      ctx.out << "grader: error: cannot copy " << path << ": " << ec.message() << "\n";
      return kExitFailures;
    }
    ++copied;
  }
  if (!git(ctx, dir, {"init", "-q", "-b", "main"}) || !git(ctx, dir, {"add", "-A"}) ||
      !git(ctx, dir, {"-c", "user.name=concurrency-kata", "-c", "user.email=kata@localhost", "commit", "-q", "-m",
                      "concurrency-kata: learner's copy"}))
    return kExitFailures;
  ctx.out << fmt::format("Wrote a learner's copy to {}: {} files, without solutions and mutants ({} files left out).\n",
                         dir.string(), copied, skipped);
  ctx.out << "It is a git repository with one commit; push it where your learners clone from.\n";
  return kExitPass;
}

}  // namespace grader
