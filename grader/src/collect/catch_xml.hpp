// collect: what Catch2 2.13's XML reporter says about one selected test case.
#pragma once

#include <string>
#include <vector>

namespace grader {

struct CatchCaseReport {
  bool parsed = false;           // the XML was complete and well formed
  std::string parse_error;
  std::vector<std::string> test_cases_run;  // names of every <TestCase> in the report
  bool success = false;          // OverallResult of the selected case
  std::string failure;           // the first failures: location, expression, expansion, messages
  std::string std_out, std_err;  // what Catch2 captured
};

/// Parses the report of a run that selected `name`. `failure` lists up to
/// `max_failures` failed assertions, exceptions, fatal signals and FAIL()s.
CatchCaseReport parse_catch_xml(const std::string& xml, const std::string& name, int max_failures = 3);

}  // namespace grader
