// report: what the learner reads in the terminal.
#pragma once

#include <ostream>
#include <vector>

#include "model.hpp"
#include "report/style.hpp"

namespace grader {

/// One row per result: exercise, implementation, tests passed/total, verdict, time.
void print_table(std::ostream& out, const std::vector<ExerciseResult>& results, const Style& style = Style::plain());

/// For each result that did not pass: why, test by test (first `max_tests`
/// failing tests with their messages and a slice of their output).
void print_failures(std::ostream& out, const std::vector<ExerciseResult>& results, int max_tests = 3,
                    const Style& style = Style::plain());

/// Line and branch coverage, with the HTML report's path, for results that have it.
void print_coverage(std::ostream& out, const std::vector<ExerciseResult>& results);

/// "score: 10 of 30 points; 1 of 3 exercises pass"
void print_score(std::ostream& out, const std::vector<ExerciseResult>& results);

}  // namespace grader
