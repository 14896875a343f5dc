#include "model.hpp"

#include <algorithm>

namespace grader {

std::vector<std::string> Exercise::sources() const {
  auto all = files;
  all.insert(all.end(), given.begin(), given.end());
  return all;
}

const char* to_string(TestStatus s) {
  switch (s) {
    case TestStatus::pass: return "pass";
    case TestStatus::fail: return "fail";
    case TestStatus::error: return "error";
    case TestStatus::timeout: return "timeout";
    case TestStatus::crashed: return "crashed";
    case TestStatus::sanitizer: return "sanitizer";
    case TestStatus::skipped: return "skipped";
  }
  return "error";
}

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::pass: return "pass";
    case Verdict::fail: return "fail";
    case Verdict::build_error: return "build error";
    case Verdict::forbidden: return "forbidden";
    case Verdict::no_tests: return "no tests";
    case Verdict::error: return "error";
  }
  return "error";
}

int ExerciseResult::passed() const {
  return static_cast<int>(std::count_if(tests.begin(), tests.end(),
                                        [](const TestResult& t) { return t.status == TestStatus::pass; }));
}

Verdict verdict_from_tests(const std::vector<TestResult>& tests) {
  if (tests.empty()) return Verdict::no_tests;
  for (const auto& t : tests)
    if (t.status != TestStatus::pass) return Verdict::fail;
  return Verdict::pass;
}

}  // namespace grader
