// What check and watch share: grade the learner's code, show it, remember it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "commands/context.hpp"
#include "model.hpp"
#include "pipeline/profile.hpp"

namespace grader {

/// Grades without showing a verdict (only the progress lines); until
/// show_results, results.json says "error". Under `profile`, or, when it is
/// null, under every profile each exercise lists (grade_every_profile).
std::vector<ExerciseResult> grade_exercises(Context& ctx, const std::vector<const Exercise*>& exercises,
                                            const std::string& implementation, const Profile* profile,
                                            const std::filesystem::path& report_dir);

/// Prints the table, failures and score, writes the reports and, for the
/// learner's implementation, records progress.
void show_results(Context& ctx, const std::vector<ExerciseResult>& results, const std::string& implementation,
                  const std::filesystem::path& report_dir, int max_failing_tests, double seconds);

/// grade_exercises, then show_results.
std::vector<ExerciseResult> grade_for_learner(Context& ctx, const std::vector<const Exercise*>& exercises,
                                              const std::string& implementation, const Profile* profile,
                                              const std::filesystem::path& report_dir, int max_failing_tests);

}  // namespace grader
