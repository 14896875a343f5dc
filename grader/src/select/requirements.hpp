// select: every numbered requirement of an exercise's README names the tests
// that check it, by a Catch2 tag [req:N]; the self-check holds them together.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace grader {

/// The numbers of the items "N. ..." under the README's "## Requirements"
/// heading (up to the next "## ").
std::set<int> readme_requirements(const std::string& readme);

/// The N of every [req:N] tag in a test source.
std::set<int> tagged_requirements(const std::string& test_source);

/// "requirement 3 has no test tagged [req:3]", "[req:9] names no requirement
/// (the README has 1 to 8)", or "the README has no numbered requirements".
std::vector<std::string> traceability_problems(const std::set<int>& requirements, const std::set<int>& tagged);

}  // namespace grader
