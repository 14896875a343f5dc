// take: the trusted path's only door from a pull request into the judge's
// work tree. For each exercise whose learner files changed (from the merge
// base to the head), it writes exactly the files the base's metadata lists,
// read from git as blobs. Nothing else of the pull request is written, and
// no path comes from the pull request: every path is built from the base's
// metadata, so a file name cannot smuggle in a command or a `..`.
#include <fstream>
#include <iostream>

#include <fcntl.h>
#include <unistd.h>

#include "commands/changes.hpp"
#include "commands/commands.hpp"
#include "report/markdown.hpp"

namespace grader {
namespace fs = std::filesystem;
namespace {

// "100644 blob <sha>\t<path>\0" -> mode, type, sha; false when the head has no such path.
bool tree_entry(Context& ctx, const std::string& head, const std::string& path, std::string& mode,
                std::string& type, std::string& sha) {
  auto r = run_git(ctx, {"ls-tree", "-z", head, "--", path});
  if (!r.exited_ok() || r.output.empty()) return false;
  auto tab = r.output.find('\t');
  auto fields = r.output.substr(0, tab);
  auto s1 = fields.find(' '), s2 = fields.find(' ', s1 + 1);
  if (tab == std::string::npos || s1 == std::string::npos || s2 == std::string::npos) return false;
  mode = fields.substr(0, s1);
  type = fields.substr(s1 + 1, s2 - s1 - 1);
  sha = fields.substr(s2 + 1);
  return true;
}

// Replaces whatever is at `path` (never following a link) with `content`.
bool write_regular_file(const fs::path& path, const std::string& content) {
  std::error_code ec;
  fs::remove(path, ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  bool ok = true;
  for (std::size_t at = 0; ok && at < content.size();) {
    auto n = ::write(fd, content.data() + at, content.size() - at);
    ok = n > 0;
    at += ok ? static_cast<std::size_t>(n) : 0;
  }
  return ::close(fd) == 0 && ok;
}

}  // namespace

std::string refused_file_source(const std::string& path, const std::string& mode) {
  return "#error \"" + path + " is not a regular file in the pull request (git mode " + mode +
         "): only regular files (mode 100644) are graded\"\n";
}

int run_take(Context& ctx, const TakeOptions& options) {
  ChangeSet changes;
  std::string merge_base;
  if (!changes_between(ctx, options.base, options.head, changes, merge_base)) return kExitUsage;
  auto catalog = load_catalog(ctx.paths.exercises);
  int taken = 0, refused = 0;
  std::string exercise_list;
  for (const auto& slug : changes.exercises) {
    const Exercise* ex = nullptr;
    for (const auto& e : catalog.exercises)
      if (e.slug == slug) ex = &e;
    if (!ex) continue;
    exercise_list += slug + '\0';
    for (const auto& file : ex->files) {
      if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
        ctx.err << "grader: error: " << slug << "/kata.json names a file that is not a plain name: " << file << "\n";
        return kExitUsage;
      }
      auto path = "exercises/" + slug + "/" + file;
      auto target = ctx.paths.root / path;
      std::string mode, type, sha;
      if (!tree_entry(ctx, options.head, path, mode, type, sha)) {
        std::error_code ec;
        fs::remove(target, ec);  // deleted by the pull request: grading shows what that means
        continue;
      }
      std::string content;
      if (mode == "100644" && type == "blob") {
        auto blob = run_git(ctx, {"cat-file", "blob", sha});
        if (!blob.exited_ok() || blob.output_cut) {
          ctx.err << "grader: error: cannot read " << path << " from " << options.head << "\n";
          return kExitUsage;
        }
        content = blob.output;
        ++taken;
      } else {
        content = refused_file_source(path, mode);
        ++refused;
      }
      if (!write_regular_file(target, content)) {
        ctx.err << "grader: error: cannot write " << target.string() << "\n";
        return kExitUsage;
      }
    }
  }
  std::ofstream(options.exercises_out, std::ios::binary) << exercise_list;
  std::string ignored;
  if (!changes.ignore.empty()) {
    ignored += "\n### ⚠️ Files this pull request changed that grading ignored\n\n"
               "The tests, the metadata, the grader and the workflows always come from the base branch;\n"
               "only the files each exercise lets you edit are taken from the pull request.\n\n";
    for (const auto& p : changes.ignore) ignored += "- " + markdown_code_span(p) + "\n";
  }
  std::ofstream(options.ignored_out, std::ios::binary) << ignored;
  ctx.out << "take: " << changes.exercises.size() << " exercise(s), " << taken << " file(s) taken, " << refused
          << " refused, " << changes.ignore.size() << " ignored (merge base " << merge_base.substr(0, 12) << ")\n";
  return kExitPass;
}

}  // namespace grader
