// select: Catch2 2.13 test names, made safe to select one at a time.
#pragma once

#include <string>
#include <vector>

namespace grader {

/// The test spec that selects exactly the test called `name`: `\ , [ ] ~` are
/// special in Catch2 2.x specs and are escaped with a backslash.
std::string escape_test_spec(const std::string& name);

/// Why a set of test names cannot each be selected alone, one line per problem
/// (leading/trailing space or '*', leading '~', "exclude:" prefix, or two names
/// equal ignoring case: Catch2 matches names case-insensitively).
std::vector<std::string> lint_test_names(const std::vector<std::string>& names);

}  // namespace grader
