// build: what the learner's C++ files held, by content, so a build is judged
// by the text it compiled and not by file times (a save can land while the
// compiler runs and still leave the object file newer than the source).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace grader {

/// File name -> a hash of its content, for the C++ files directly inside a
/// folder (editors' backup and lock files are not C++ files and do not count).
using SourceSnapshot = std::map<std::string, std::string>;

SourceSnapshot snapshot_sources(const std::filesystem::path& dir);

/// The names whose content differs between two snapshots (added and removed too).
std::vector<std::string> changed_sources(const SourceSnapshot& before, const SourceSnapshot& after);

/// One "<hash> <name>" line per file. Loading a missing file gives false.
void save_snapshot(const std::filesystem::path& file, const SourceSnapshot& snapshot);
bool load_snapshot(const std::filesystem::path& file, SourceSnapshot& snapshot);

}  // namespace grader
