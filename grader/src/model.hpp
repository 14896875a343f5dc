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
  std::vector<std::string> files;
  int points = 0;
  double timeout_s = 10;
  std::map<std::string, std::string> profiles;  // profile -> sanitizer options
  std::vector<std::string> hints;
  std::vector<Forbidden> forbidden;
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
  std::string message;  // why it did not pass, one paragraph
  std::string output;   // the test's own output (capped)
  double seconds = 0;
};

enum class Verdict { pass, fail, build_error, forbidden, no_tests, error };
const char* to_string(Verdict v);

/// The outcome of one exercise against one implementation under one profile.
struct ExerciseResult {
  std::string slug;
  std::string implementation;
  std::string profile;
  Verdict verdict = Verdict::error;
  std::string message;  // build digest, forbidden-symbol hint, or error
  std::vector<TestResult> tests;
  int points = 0;
  int max_points = 0;
  double seconds = 0;

  int passed() const;
  bool all_passed() const { return verdict == Verdict::pass; }
};

/// Verdict from the per-test results: pass only when every test passed.
Verdict verdict_from_tests(const std::vector<TestResult>& tests);

}  // namespace grader
