// watch: a verdict only for the text on disk. A save can land while an
// exercise is graded; its verdict would then describe text already gone.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "build/source_snapshot.hpp"
#include "model.hpp"

namespace grader {

/// Calls `grade` until the C++ files in `dir` hold after it what they held
/// before it, saying each time a save landed in between. Returns the last
/// results; `graded` gets the files' snapshot they describe.
std::vector<ExerciseResult> grade_until_unchanged(const std::filesystem::path& dir, const std::string& shown_dir,
                                                  const std::function<std::vector<ExerciseResult>()>& grade,
                                                  std::ostream& out, SourceSnapshot& graded);

}  // namespace grader
