// The pipeline behind check and selfcheck: build -> run -> collect, for a list
// of (exercise, implementation, profile, seed) subjects.
#pragma once

#include <string>
#include <vector>

#include "commands/context.hpp"
#include "model.hpp"

namespace grader {

struct Subject {
  const Exercise* exercise;
  std::string implementation;  // exercise, solution, mutant.<name>
  std::string profile;         // plain, tsan, asan
  unsigned long long seed;
  bool first_failure_is_enough = false;  // a mutant run: stop at its first failing test
};

/// Grades every subject and returns one result each, in order. Builds each
/// profile's targets in one ninja run and runs all test cases in one pool.
std::vector<ExerciseResult> grade(Context& ctx, const std::vector<Subject>& subjects);

/// Lines of the learner's files that use a forbidden symbol, as
/// "exercises/x/f.cpp:12: 'sleep_for' is not allowed here: <hint>".
std::vector<std::string> forbidden_uses(const Context& ctx, const Exercise& exercise);

}  // namespace grader
