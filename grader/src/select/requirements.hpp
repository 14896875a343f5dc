// select: every numbered requirement of an exercise's README names the tests
// that check it, by a Catch2 tag [req:N]; the self-check holds them together.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace grader {

/// The items "N. ..." under the README's "## Requirements" heading (up to
/// the next "## "): number -> text, continuation lines included.
std::map<int, std::string> readme_requirements(const std::string& readme);

/// The N of every [req:N] tag in a test source.
std::set<int> tagged_requirements(const std::string& test_source);

/// "requirement 3 has no test tagged [req:3]", "[req:9] names no requirement
/// (the README has 1 to 8)", or "the README has no numbered requirements".
/// A requirement that names (in backticks) a symbol kata.json forbids is
/// checked by the grader's forbidden-symbol scan and needs no tag.
std::vector<std::string> traceability_problems(const std::map<int, std::string>& requirements,
                                               const std::set<int>& tagged,
                                               const std::vector<std::string>& forbidden_symbols);

}  // namespace grader
