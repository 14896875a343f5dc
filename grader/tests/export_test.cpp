// export: the learner's copy comes from the last commit, never the working tree.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <unistd.h>

#include "commands/commands.hpp"
#include "write_file.hpp"

using namespace grader;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void sh(const fs::path& cwd, const std::string& command) {
  PosixProcessRunner runner;
  ProcessSpec spec;
  spec.argv = {"sh", "-c", command};
  spec.cwd = cwd;
  auto r = runner.run(spec);
  INFO(r.output);
  REQUIRE(r.exited_ok());
}

// A course with a stub, its solution and a mutant, committed; then the
// instructor solves the stub without committing.
struct Course {
  fs::path top = fs::temp_directory_path() / ("grader-export-" + std::to_string(::getpid()));
  fs::path root = top / "course";
  fs::path copy = top / "copy";

  Course() {
    fs::remove_all(top);
    write_file(root / "exercises" / "01-a" / "a.cpp", "// TODO\n");
    write_file(root / "solutions" / "01-a" / "a.cpp", "// solved\n");
    write_file(root / "tests" / "01-a" / "a_test.cpp", "// tests\n");
    write_file(root / "tests" / "01-a" / "mutants" / "m" / "mutant.patch", "// a bug\n");
    sh(root, "git init -q -b main && git add -A && git -c user.name=t -c user.email=t@t commit -q -m course");
    write_file(root / "exercises" / "01-a" / "a.cpp", "// solved\n");
  }
  ~Course() { fs::remove_all(top); }

  int run_export(std::ostringstream& out, bool allow_dirty, std::ostream& err = std::cerr) {
    PosixProcessRunner runner;
    Context ctx{Paths::from_root(root), runner, out, err};
    return grader::run_export(ctx, {copy.string(), allow_dirty});
  }
};

}  // namespace

TEST_CASE("export refuses while exercises/ has uncommitted changes", "[export]") {
  Course course;
  std::ostringstream out, err;
  CHECK(course.run_export(out, false, err) == kExitUsage);
  CHECK(out.str().empty());
  CHECK(err.str() ==
        "grader: error: exercises/ has uncommitted changes; the learner's copy is made from the last commit and would "
        "not have them:\n"
        " M exercises/01-a/a.cpp\n"
        "Commit or stash them, or pass --allow-dirty to export the last commit without them.\n");
  CHECK_FALSE(fs::exists(course.copy / "exercises"));
}

TEST_CASE("export writes the committed stubs, without solutions and mutants", "[export]") {
  Course course;
  std::ostringstream out;
  REQUIRE(course.run_export(out, true) == kExitPass);
  CHECK(read(course.copy / "exercises" / "01-a" / "a.cpp") == "// TODO\n");
  CHECK(read(course.copy / "tests" / "01-a" / "a_test.cpp") == "// tests\n");
  CHECK_FALSE(fs::exists(course.copy / "solutions"));
  CHECK_FALSE(fs::exists(course.copy / "tests" / "01-a" / "mutants"));
  CHECK(fs::exists(course.copy / ".git"));
  CHECK(out.str() == "Wrote a learner's copy of the last commit to " + course.copy.string() +
                         ": 2 files, without solutions and mutants (2 files left out).\n"
                         "Uncommitted changes in exercises/ were left out (--allow-dirty).\n"
                         "It is a git repository with one commit; push it where your learners clone from.\n");
}
