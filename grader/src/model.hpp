// What the grader's stages hand each other: exercises, implementations,
// per-test results and per-exercise verdicts.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace grader {

/// One exercise as its kata.json describes it (docs/exercise-format.md).
struct Exercise {
  struct Forbidden {
    std::string symbol;
    std::string hint;
  };
  std::string slug;  // "16-deadlock"
  std::string title;
  std::string module;
  std::string question_ru;
  std::string question_en;
  std::string blurb;
  std::vector<std::string> files;  // the learner edits these; the solution has its own
  std::vector<std::string> given;  // the learner reads these; every implementation shares exercises/' copy
  int points = 0;
  double timeout_s = 10;
  std::map<std::string, std::string> profiles;  // profile -> sanitizer options
  std::map<std::string, std::pair<int, double>> schedules;  // profile -> kata.json's "schedules", "budget_s"
  std::vector<std::string> hints;
  std::vector<Forbidden> forbidden;

  /// What the exercise's implementation is built from: `files`, then `given`.
  std::vector<std::string> sources() const;
};

/// A deliberately wrong implementation the tests must catch.
struct Mutant {
  std::string name;
  std::string profile;
  std::string catches;
};

/// Which code the tests are compiled against: the learner's exercise, the
/// reference solution, or a mutant ("mutant.NAME").
struct Implementation {
  std::string name;  // "exercise", "solution", "mutant.<name>"
  static Implementation exercise() { return {"exercise"}; }
  static Implementation solution() { return {"solution"}; }
  static Implementation mutant(const std::string& n) { return {"mutant." + n}; }
  bool operator==(const Implementation&) const = default;
};

// skipped: not run, because the run only needed one failure (a mutant's).
enum class TestStatus { pass, fail, error, timeout, crashed, sanitizer, skipped };
const char* to_string(TestStatus s);

struct TestResult {
  std::string name;
  TestStatus status = TestStatus::error;
  bool hidden = false;  // tagged [hidden]: the learner sees the name and a short message only
  std::string message;  // why it did not pass, one paragraph
  std::string output;   // the test's own output (capped)
  double seconds = 0;
  // The explore scheduler's last events before a failure (its trace format,
  // tests/support/explore/explore.cpp), drawn as the report's timeline page.
  std::string trace;
};

enum class Verdict { pass, fail, build_error, forbidden, no_tests, error };
const char* to_string(Verdict v);

/// Line and branch coverage of the learner's files (coverage profile).
struct Coverage {
  bool measured = false;
  int lines_hit = 0, lines_total = 0;
  int branches_hit = 0, branches_total = 0;
  std::string html;      // index.html of the lcov report
  std::string uncovered; // "file.cpp: 12, 14-16" per file, for the self-check gate

  double line_percent() const { return lines_total ? 100.0 * lines_hit / lines_total : 100.0; }
  double branch_percent() const { return branches_total ? 100.0 * branches_hit / branches_total : 100.0; }
};

/// The outcome of one exercise against one implementation under one profile.
struct ExerciseResult {
  std::string slug;
  std::string title;
  std::string implementation;
  std::string profile;
  Verdict verdict = Verdict::error;
  std::string message;  // build digest, forbidden-symbol hint, or error
  std::vector<TestResult> tests;
  int points = 0;
  int max_points = 0;
  double seconds = 0;
  Coverage coverage;

  int passed() const;
  bool all_passed() const { return verdict == Verdict::pass; }
};

/// Verdict from the per-test results: pass only when every test passed.
Verdict verdict_from_tests(const std::vector<TestResult>& tests);

}  // namespace grader
