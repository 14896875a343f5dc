// collect: one test case's verdict from how its process ended and its report.
#pragma once

#include <string>

#include "model.hpp"
#include "run/process.hpp"

namespace grader {

struct CaseEvidence {
  std::string test_name;
  double timeout_s = 0;
  ProcessResult process;
  bool report_exists = false;
  bool report_cut = false;       // the report passed its size limit and was cut
  std::string report_xml;
  std::string channel_problem;   // something other than the harness wrote to the result channel
  std::string leaked_ipc;  // names left in /dev/shm with the run's prefix
};

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
