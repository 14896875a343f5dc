// build: a short digest of a failed build, first errors with file:line first.
#pragma once

#include <string>

namespace grader {

/// The first `max_errors` diagnostics ("file:line:col: error: ...") with the
/// source line and caret after each, preferring files whose path contains
/// `prefer` (the learner's folder); linker errors when there are no compiler ones.
std::string compile_digest(const std::string& output, const std::string& prefer = "", int max_errors = 3);

}  // namespace grader
