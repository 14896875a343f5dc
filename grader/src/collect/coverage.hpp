// collect: line and branch coverage of an implementation's own files (lcov).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "model.hpp"
#include "process/process.hpp"

namespace grader {

/// Where a target's objects and .gcda counters are in a coverage build tree.
std::vector<std::filesystem::path> coverage_object_dirs(const std::filesystem::path& tree, const std::string& slug,
                                                        const std::string& implementation);

/// Deletes the counters of earlier runs, so a report covers one run only.
void reset_coverage_counters(const std::vector<std::filesystem::path>& object_dirs);

/// Captures the counters, keeps `files` (the implementation's own, relative
/// to `source_dir`: not the given files the learner only reads), writes an
/// HTML report into `html_dir`, and returns the figures (measured = false,
/// with the reason in `uncovered`, when lcov fails).
Coverage measure_coverage(ProcessRunner& runner, const std::vector<std::filesystem::path>& object_dirs,
                          const std::filesystem::path& source_dir, const std::vector<std::string>& files,
                          const std::filesystem::path& work_dir, const std::filesystem::path& html_dir);

/// Drops the records of lines past the end of their file. Static initializers
/// of a header (Asio's) are attributed by llvm-cov to every file that
/// includes it, at the header's line numbers: lines that do not exist.
/// `line_count(file)` tells how many lines a file has.
std::string drop_lines_past_end(const std::string& info, const std::function<int(const std::string&)>& line_count);

/// Parses an lcov tracefile: totals, and the uncovered lines per file as
/// "file.cpp: 12, 14-16".
Coverage parse_tracefile(const std::string& info);

}  // namespace grader
