// report: results.json, the machine-readable verdict (schema in docs/results-json.md).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "model.hpp"

namespace grader {

/// The JSON text of a run's results (schema_version 1).
std::string results_json(const std::vector<ExerciseResult>& results, double seconds);

/// Writes it to `path` (through a temporary file and a rename, so a reader
/// never sees half a file). Returns false when it cannot be written.
bool write_results_json(const std::filesystem::path& path, const std::vector<ExerciseResult>& results, double seconds);

}  // namespace grader
