// build: a short digest of a failed build, first errors with file:line first.
#pragma once

#include <string>

namespace grader {

/// The first `max_errors` diagnostics ("file:line:col: error: ...") with the
/// source line and caret after each, preferring files whose path contains
/// `prefer` (the learner's folder); linker errors when there are no compiler ones.
/// With `hide_others`, diagnostics in other files (the hidden tests) keep
/// their message but lose their file, line and quoted source, and output of
/// an unknown shape is not shown at all: the learner sees their own lines only.
std::string compile_digest(const std::string& output, const std::string& prefer = "", int max_errors = 3,
                           bool hide_others = false);

}  // namespace grader
