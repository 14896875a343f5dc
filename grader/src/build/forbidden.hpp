// build: forbidden symbols in the learner's code (before building it).
#pragma once

#include <string>
#include <vector>

namespace grader {

/// C++ source with comments and string/char literals blanked out (newlines
/// kept, so line numbers still match).
std::string strip_comments_and_strings(const std::string& source);

/// Lines (1-based) where `symbol` appears as a whole identifier, or as the
/// qualified name `a::b` with any spacing around `::`.
std::vector<int> find_symbol(const std::string& source, const std::string& symbol);

}  // namespace grader
