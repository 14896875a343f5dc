// The course the commands' and the stages' tests run on: one exercise,
// 01-adder, whose learner edits adder.cpp and reads the given adder.hpp (its
// twin in solutions/ is the same file), with a solution, a test, and one
// mutant, "subtracts", that the noise profile catches.
#pragma once

#include <filesystem>
#include <string>

#include <unistd.h>

#include "paths.hpp"
#include "select/catalog.hpp"
#include "state/progress.hpp"
#include "write_file.hpp"

namespace grader {

struct AdderCourse {
  std::filesystem::path root = std::filesystem::temp_directory_path() / ("grader-adder-" + std::to_string(::getpid()));
  Paths paths;
  Catalog catalog;

  explicit AdderCourse(const std::string& stub = "int add(int a, int b) { return 0; }\n") {
    std::filesystem::remove_all(root);
    write_file(root / "CMakePresets.json", "{}\n");
    write_file(root / "exercises/01-adder/kata.json", R"({
  "schema_version": 1, "title": "Adding", "module": "basics",
  "question": {"ru": "Как сложить два числа?", "en": "How to add two numbers?"},
  "blurb": "Add two numbers.", "files": ["adder.cpp"], "given": ["adder.hpp"], "points": 10, "timeout_s": 5,
  "profiles": {"plain": {}, "tsan": {"options": "report_signal_unsafe=0"}, "noise": {}},
  "hints": ["Think of +.", "return a + b;"],
  "forbidden": [{"symbol": "sleep_for", "hint": "Nothing to wait for."}]
})");
    write_file(root / "exercises/01-adder/README.md", "# Adding\n\n## Requirements\n\n1. `add` adds.\n");
    write_file(root / "exercises/01-adder/adder.hpp", "int add(int a, int b);\n");
    write_file(root / "exercises/01-adder/adder.cpp", stub);
    write_file(root / "solutions/01-adder/adder.cpp", "int add(int a, int b) { return a + b; }\n");
    write_file(root / "solutions/01-adder/adder.hpp", "int add(int a, int b);\n");
    write_file(root / "tests/01-adder/adder_test.cpp", "TEST_CASE(\"adds\", \"[req:1]\") {}\n");
    write_file(root / "tests/01-adder/mutants/subtracts/mutant.json",
               R"({"profile": "noise", "catches": "subtracts"})");
    write_file(root / "tests/01-adder/mutants/subtracts/mutant.patch", "--- a/adder.cpp\n+++ b/adder.cpp\n");
    paths = Paths::from_root(root);
    catalog = load_catalog(paths.exercises);
  }
  ~AdderCourse() { std::filesystem::remove_all(root); }

  const Exercise& adder() const { return catalog.exercises.at(0); }

  void mark_done() const {
    auto progress = Progress::load(root / ".kata/progress.json");
    progress.of("01-adder").done = true;
    progress.save();
  }
};

}  // namespace grader
