// report: the run's results in the formats other tools read.
//   results.json      this grader's own (docs/schemas/results.schema.json, schema_version 1)
//   junit.xml         JUnit, one testsuite per exercise (validates against junit-10.xsd)
//   report.md         Markdown for a pull request comment and a job summary
//   gradescope.json   Gradescope's autograder results
//   exercism/<slug>.json  Exercism's test runner interface, version 3
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "model.hpp"

namespace grader {

struct RunSummary {
  std::vector<ExerciseResult> results;
  double seconds = 0;
  bool finished = true;  // false: grading did not finish, every format says error
};

std::string results_json(const RunSummary& run);
std::string junit_xml(const RunSummary& run);
std::string markdown_report(const RunSummary& run);
std::string gradescope_json(const RunSummary& run);
std::string exercism_json(const ExerciseResult& result);

/// The marker that finds the one pull-request comment to update.
inline constexpr const char* kMarkdownMarker = "<!-- concurrency-kata-report -->";

/// Writes every format into `dir` (each file through a temporary and a
/// rename). Returns the files it could not write.
std::vector<std::string> write_reports(const std::filesystem::path& dir, const RunSummary& run);

}  // namespace grader
