// A save that races the compiler: the object holds the old text yet is newer
// than the source, so file times alone would keep grading the old text. Real
// cmake, ninja and g++ build a one-file "exercise" in a throwaway course.
#include <catch2/catch.hpp>

#include <filesystem>

#include <unistd.h>

#include "build/build.hpp"
#include "write_file.hpp"

using namespace grader;
namespace fs = std::filesystem;

namespace {

const char* kDeadlocking = "#include <cstdio>\nint main() { std::puts(\"deadlocking version\"); }\n";
const char* kFixed = "#include <cstdio>\nint main() { std::puts(\"fixed version\"); }\n";

// A course of one exercise, 99-race, whose binary prints the text it was
// built from; real programs build and run it.
struct Course {
  PosixProcessRunner runner;
  fs::path root = fs::temp_directory_path() / ("grader-build-race-" + std::to_string(::getpid()));
  Paths paths = Paths::from_root(root);
  fs::path source = paths.exercises / "99-race" / "race.cpp";

  explicit Course(const std::string& launcher_script = "") {
    fs::remove_all(root);
    write_file(root / "CMakePresets.json",
               R"({"version": 6, "configurePresets": [{"name": "plain", "generator": "Ninja", "binaryDir": "${sourceDir}/build/plain"}]})");
    std::string lists =
        "cmake_minimum_required(VERSION 3.25)\n"
        "project(race LANGUAGES CXX)\n"
        "set(KATA_EXERCISES_DIR \"\" CACHE PATH \"\")\nset(KATA_TESTS_DIR \"\" CACHE PATH \"\")\n"
        "set(KATA_ONLY \"\" CACHE STRING \"\")\n";
    if (!launcher_script.empty()) {
      write_file(root / "launcher.sh", launcher_script);
      fs::permissions(root / "launcher.sh", fs::perms::owner_all);
      lists += "set(CMAKE_CXX_COMPILER_LAUNCHER \"${CMAKE_SOURCE_DIR}/launcher.sh\")\n";
    }
    lists +=
        "add_executable(99-race.exercise \"${KATA_EXERCISES_DIR}/99-race/race.cpp\")\n"
        "set_target_properties(99-race.exercise PROPERTIES RUNTIME_OUTPUT_DIRECTORY \"${CMAKE_BINARY_DIR}/bin/99-race\" "
        "OUTPUT_NAME exercise)\n"
        "file(WRITE \"${CMAKE_BINARY_DIR}/kata-targets.txt\" \"99-race.exercise\\n\")\n";
    write_file(root / "CMakeLists.txt", lists);
    write_file(paths.tests / "99-race" / "placeholder.txt", "");
    write_file(source, kDeadlocking);
  }
  ~Course() { fs::remove_all(root); }

  BuildOutcome build() { return build_targets(runner, paths, {"plain", {"99-race.exercise"}, 2}); }

  std::string run_binary() {
    ProcessSpec spec;
    spec.argv = {paths.binary("plain", "99-race", "exercise").string()};
    return runner.run(spec).output;
  }

  fs::path object() const {
    for (const auto& e : fs::recursive_directory_iterator(paths.tree("plain") / "CMakeFiles"))
      if (e.path().filename() == "race.cpp.o") return e.path();
    return {};
  }
};

}  // namespace

TEST_CASE("a source saved while it compiled is built again before it is graded", "[build]") {
  // The compiler reads the deadlocking text; the fix is saved before the
  // object is written (here: the source gets an older time than the object).
  fs::path root = fs::temp_directory_path() / ("grader-build-race-" + std::to_string(::getpid()));
  auto source = root / "exercises" / "99-race" / "race.cpp";
  std::string script = "#!/bin/sh\n\"$@\" || exit $?\n"
                       "if [ ! -e '" + (root / "saved").string() + "' ]; then\n"
                       "  touch '" + (root / "saved").string() + "'\n"
                       "  printf '%s' '" + std::string(kFixed) + "' > '" + source.string() + "'\n"
                       "  touch -d 2000-01-01 '" + source.string() + "'\n"
                       "fi\n";
  Course course(script);
  auto outcome = course.build();
  REQUIRE(outcome.configured);
  REQUIRE(outcome.failed.empty());
  CHECK(outcome.rebuilt_after_save == std::vector<std::string>{source.string()});
  CHECK(outcome.saved_during_build.empty());
  CHECK(course.run_binary() == "fixed version\n");
}

TEST_CASE("an object newer than its changed source is rebuilt: content decides, not file times", "[build]") {
  Course course;
  REQUIRE(course.build().failed.empty());
  REQUIRE(course.run_binary() == "deadlocking version\n");

  // The fix on disk, yet older than the object compiled from the deadlocking text.
  write_file(course.source, kFixed);
  auto object = course.object();
  REQUIRE_FALSE(object.empty());
  fs::last_write_time(course.source, fs::last_write_time(object) - std::chrono::hours(1));

  auto outcome = course.build();
  REQUIRE(outcome.failed.empty());
  CHECK(outcome.rebuilt_after_save.empty());
  CHECK(course.run_binary() == "fixed version\n");
}

TEST_CASE("an unchanged source is not rebuilt", "[build]") {
  Course course;
  REQUIRE(course.build().failed.empty());
  auto object = course.object();
  auto built_at = fs::last_write_time(object);
  REQUIRE(course.build().failed.empty());
  CHECK(fs::last_write_time(object) == built_at);
  CHECK(course.run_binary() == "deadlocking version\n");
}

TEST_CASE("a build reports ninja's progress as it goes", "[build]") {
  Course course;
  std::vector<std::pair<int, int>> steps;
  BuildRequest request{"plain", {"99-race.exercise"}, 2, {}, {}};
  request.on_progress = [&](int done, int total) { steps.emplace_back(done, total); };
  REQUIRE(build_targets(course.runner, course.paths, request).failed.empty());
  REQUIRE_FALSE(steps.empty());
  CHECK(steps.back().first == steps.back().second);  // the last step: all done
  CHECK(steps.front().first <= steps.back().first);
}

TEST_CASE("a compile that does not end is stopped at its CPU limit, and the build error says so", "[build]") {
  Course course;
  // Exponential constexpr recursion: g++ would evaluate it for hours.
  write_file(course.source,
             "constexpr long fib(long n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }\n"
             "constexpr long value = fib(90);\nint main() { return static_cast<int>(value); }\n");
  BuildRequest request{"plain", {"99-race.exercise"}, 2, {}, {}};
  request.compile_cpu_seconds = 2;
  auto outcome = build_targets(course.runner, course.paths, request);
  REQUIRE(outcome.failed.count("99-race.exercise"));
  CHECK_THAT(outcome.failed.at("99-race.exercise"),
             Catch::EndsWith("\nthe compiler was stopped after 2 s of CPU time: a template instantiation or constexpr "
                             "evaluation that does not end (or grows without bound)?"));
  CHECK_FALSE(fs::exists(course.paths.binary("plain", "99-race", "exercise")));
}

TEST_CASE("what a compiler's end says about its limits", "[build]") {
  CHECK(explain_compile_limits("g++: fatal error: Killed signal terminated program cc1plus", 300) ==
        "\nthe compiler was stopped after 300 s of CPU time: a template instantiation or constexpr evaluation that "
        "does not end (or grows without bound)?");
  CHECK(explain_compile_limits("LLVM ERROR: out of memory", 300) ==
        "\nthe compiler ran out of its 4 GiB of memory: a template instantiation that grows without bound, or an "
        "#include of something that is not source?");
  CHECK(explain_compile_limits("a.cpp:1:1: error: expected ';'", 300).empty());
}
