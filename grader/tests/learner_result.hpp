// An exercise's result for the tests that render one (reports, terminal,
// timeline pages), before each test sets what it is about.
#pragma once

#include <string>

#include "model.hpp"

namespace grader {

/// The result of grading the learner's own code (the "exercise" implementation).
inline ExerciseResult learner_result(const std::string& slug, Verdict verdict, const std::string& profile = "plain") {
  ExerciseResult r;
  r.slug = slug;
  r.implementation = "exercise";
  r.profile = profile;
  r.verdict = verdict;
  return r;
}

}  // namespace grader
