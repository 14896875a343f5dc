// git, as the commands call it: one place for how it is run and read.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "commands/context.hpp"

namespace grader {

/// git with `args` in `cwd` (the repository root when empty): two minutes at
/// most, its output kept up to 256 MiB (a blob, an archive listing).
ProcessResult run_git(Context& ctx, const std::vector<std::string>& args, const std::filesystem::path& cwd = {});

/// The records of git's NUL-terminated output (`-z`), empty ones dropped.
std::vector<std::string> split_nul(const std::string& text);

}  // namespace grader
