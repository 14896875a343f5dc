// What check and watch share: grade the learner's code, show it, remember it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "commands/context.hpp"
#include "model.hpp"

namespace grader {

/// Grades, prints the table, failures and score, writes the reports and,
/// for the learner's implementation, records progress.
std::vector<ExerciseResult> grade_for_learner(Context& ctx, const std::vector<const Exercise*>& exercises,
                                              const std::string& implementation, const std::string& profile,
                                              const std::filesystem::path& report_dir, int max_failing_tests);

}  // namespace grader
