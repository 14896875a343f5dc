// collect: one test case's verdict from how its process ended and its report.
#pragma once

#include <string>

#include "model.hpp"
#include "evidence.hpp"

namespace grader {

/// pass / fail / error / timeout / crashed / sanitizer, with a message a
/// learner can act on.
TestResult judge(const CaseEvidence& evidence);

/// A hidden test tells the learner which behaviour failed (its name) and how
/// (timeout, crash...), not the checks or the output: for a failure, a fixed
/// sentence; otherwise the message's first line.
void conceal(TestResult& result);

/// The first sanitizer report in `output` ("ThreadSanitizer: data race ..."), or "".
std::string find_sanitizer_report(const std::string& output);

/// gdb's backtraces reduced to what helps: per thread, where it waits and the
/// frames in the repository's own code (not the standard library or Catch2).
std::string summarize_stacks(const std::string& gdb_output);

}  // namespace grader
