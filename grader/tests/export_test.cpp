// export: the learner's copy comes from the last commit, never the working
// tree. Its decisions and words on the fake process runner; one end-to-end
// run on real git and tar.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include <unistd.h>

#include "adder_course.hpp"
#include "commands/commands.hpp"
#include "fake_process_runner.hpp"
#include "text_file.hpp"
#include "write_file.hpp"

using namespace grader;
namespace fs = std::filesystem;

namespace {

using Argv = std::vector<std::string>;

// The adder course's last commit as git and tar answer export: HEAD holds the
// stub and, as every course, solutions/ and tests/*/mutants/; a mutants/
// folder outside tests/ is the learner's. Each command succeeds until a test
// makes it fail.
struct FakeExport {
  AdderCourse course{"int add(int a, int b) { return a + b; }  // solved, not committed\n"};
  fs::path copy = course.root.parent_path() / ("grader-export-copy-" + std::to_string(::getpid()));
  fs::path archive = course.paths.build_root / "export.tar";
  FakeProcessRunner runner;
  std::ostringstream out, err;

  const Argv status{"git", "status", "--porcelain", "--untracked-files=all", "--", "exercises"};
  const Argv ls_tree{"git", "ls-tree", "-r", "-z", "--name-only", "HEAD"};
  const Argv git_archive{"git", "archive", "--format=tar", "-o", archive.string(), "HEAD"};
  const Argv tar{"tar", "-xf", archive.string()};
  const Argv init{"git", "init", "-q", "-b", "main"};
  const Argv add{"git", "add", "-A"};
  const Argv commit{"git", "-c", "user.name=concurrency-kata", "-c", "user.email=kata@localhost",
                    "commit", "-q", "-m", "concurrency-kata: learner's copy"};

  FakeExport() {
    fs::remove_all(copy);
    const std::map<std::string, std::string> head{
        {"CMakePresets.json", "{}\n"},
        {"exercises/01-adder/adder.cpp", "int add(int a, int b) { return 0; }\n"},
        {"exercises/01-adder/adder.hpp", "int add(int a, int b);\n"},
        {"exercises/01-adder/mutants/notes.md", "# Mutants you might write\n"},
        {"solutions/01-adder/adder.cpp", "int add(int a, int b) { return a + b; }\n"},
        {"solutions/01-adder/adder.hpp", "int add(int a, int b);\n"},
        {"tests/01-adder/adder_test.cpp", "TEST_CASE(\"adds\", \"[req:1]\") {}\n"},
        {"tests/01-adder/mutants/subtracts/mutant.json", "{}\n"},
        {"tests/01-adder/mutants/subtracts/mutant.patch", "--- a/adder.cpp\n"},
    };
    std::string listing;
    for (const auto& [path, text] : head) listing += path + '\0';
    runner.programs.insert("tar");
    for (const auto& argv : {status, ls_tree, git_archive, tar, init, add, commit}) runner.output_of[argv] = "";
    runner.output_of[ls_tree] = listing;
    runner.files_of[git_archive] = {{archive.string(), "an archive of HEAD\n"}};
    runner.files_of[tar] = head;
  }
  ~FakeExport() { fs::remove_all(copy); }

  int run(bool allow_dirty = false) {
    Context ctx{course.paths, runner, out, err};
    return run_export(ctx, {copy.string(), allow_dirty});
  }

  // The commands run, one a line, each with the folder it ran in.
  std::string commands() {
    std::string lines;
    for (const auto& spec : runner.calls()) {
      lines += spec.cwd == course.root ? "in course:" : spec.cwd == copy ? "in copy:" : "in " + spec.cwd.string() + ":";
      for (const auto& word : spec.argv) lines += " " + word;
      lines += "\n";
    }
    return lines;
  }

  std::string wrote() const {
    return "Wrote a learner's copy of the last commit to " + copy.string() +
           ": 5 files, without solutions and mutants (4 files left out).\n";
  }
};

}  // namespace

TEST_CASE("export: extracts HEAD's archive into the new folder, leaves out solutions and mutants, commits it once",
          "[export]") {
  FakeExport e;
  CHECK(e.run() == kExitPass);
  CHECK(e.commands() ==
        "in course: git status --porcelain --untracked-files=all -- exercises\n"
        "in course: git ls-tree -r -z --name-only HEAD\n"
        "in course: git archive --format=tar -o " + e.archive.string() + " HEAD\n"
        "in copy: tar -xf " + e.archive.string() + "\n"
        "in copy: git init -q -b main\n"
        "in copy: git add -A\n"
        "in copy: git -c user.name=concurrency-kata -c user.email=kata@localhost commit -q -m concurrency-kata: "
        "learner's copy\n");
  CHECK(e.out.str() == e.wrote() + "It is a git repository with one commit; push it where your learners clone from.\n");
  CHECK(e.err.str().empty());
  // The archive's stub, not the working tree's solved one.
  CHECK(read_text_file(e.copy / "exercises/01-adder/adder.cpp") == "int add(int a, int b) { return 0; }\n");
  CHECK(fs::exists(e.copy / "exercises/01-adder/mutants/notes.md"));
  CHECK(fs::exists(e.copy / "tests/01-adder/adder_test.cpp"));
  CHECK(fs::exists(e.copy / "CMakePresets.json"));
  // Left out with the folders they leave empty.
  CHECK_FALSE(fs::exists(e.copy / "solutions"));
  CHECK_FALSE(fs::exists(e.copy / "tests/01-adder/mutants"));
  CHECK_FALSE(fs::exists(e.archive));
}

TEST_CASE("export: a folder that exists and is not empty is a usage error before git is asked; an empty one is used",
          "[export]") {
  FakeExport e;
  write_file(e.copy / "notes.txt", "mine\n");
  CHECK(e.run() == kExitUsage);
  CHECK(e.err.str() == "grader: error: " + e.copy.string() + " exists and is not empty\n");
  CHECK(e.out.str().empty());
  CHECK(e.runner.calls().empty());
  CHECK(read_text_file(e.copy / "notes.txt") == "mine\n");

  fs::remove(e.copy / "notes.txt");
  e.err.str("");
  CHECK(e.run() == kExitPass);
  CHECK(e.err.str().empty());
  CHECK(fs::exists(e.copy / "exercises/01-adder/adder.cpp"));
}

TEST_CASE("export: uncommitted changes in exercises/ are a usage error that lists them; nothing is written",
          "[export]") {
  FakeExport e;
  e.runner.output_of[e.status] = " M exercises/01-adder/adder.cpp\n?? exercises/01-adder/scratch.cpp\n";
  CHECK(e.run() == kExitUsage);
  CHECK(e.err.str() ==
        "grader: error: exercises/ has uncommitted changes; the learner's copy is made from the last commit and would "
        "not have them:\n"
        " M exercises/01-adder/adder.cpp\n"
        "?? exercises/01-adder/scratch.cpp\n"
        "Commit or stash them, or pass --allow-dirty to export the last commit without them.\n");
  CHECK(e.out.str().empty());
  CHECK(e.commands() == "in course: git status --porcelain --untracked-files=all -- exercises\n");
  CHECK_FALSE(fs::exists(e.copy));
}

TEST_CASE("export --allow-dirty: exports the last commit without the uncommitted changes, and says so", "[export]") {
  FakeExport e;
  e.runner.output_of[e.status] = " M exercises/01-adder/adder.cpp\n";
  CHECK(e.run(true) == kExitPass);
  CHECK(e.err.str().empty());
  CHECK(e.out.str() == e.wrote() +
                           "Uncommitted changes in exercises/ were left out (--allow-dirty).\n"
                           "It is a git repository with one commit; push it where your learners clone from.\n");
  CHECK(read_text_file(e.copy / "exercises/01-adder/adder.cpp") == "int add(int a, int b) { return 0; }\n");
}

TEST_CASE("export: a git command that fails stops it with git's words on stderr", "[export]") {
  FakeExport e;
  const std::string why = "fatal: not a git repository (or any of the parent directories): .git\n";
  SECTION("status: nothing is written") {
    e.runner.failure_of[e.status] = why;
    CHECK(e.run() == kExitFailures);
    CHECK(e.err.str() == "grader: error: git status failed:\n" + why + "\n");
    CHECK_FALSE(fs::exists(e.copy));
  }
  SECTION("ls-tree: nothing is written") {
    e.runner.failure_of[e.ls_tree] = why;
    CHECK(e.run() == kExitFailures);
    CHECK(e.err.str() == "grader: error: git ls-tree failed:\n" + why + "\n");
    CHECK_FALSE(fs::exists(e.copy));
  }
  SECTION("archive: nothing is extracted, and the folder it made is gone") {
    e.runner.failure_of[e.git_archive] = why;
    CHECK(e.run() == kExitFailures);
    CHECK(e.err.str() == "grader: error: git archive failed:\n" + why + "\n");
    CHECK(e.commands().find("tar -xf") == std::string::npos);
    CHECK_FALSE(fs::exists(e.copy));
  }
  SECTION("commit: named by its command, not by the settings before it; no half copy is left") {
    e.runner.failure_of[e.commit] = "fatal: unable to write new index file\n";
    CHECK(e.run() == kExitFailures);
    CHECK(e.err.str() == "grader: error: git commit failed:\nfatal: unable to write new index file\n\n");
    CHECK_FALSE(fs::exists(e.copy));
  }
  SECTION("commit, into an empty folder that was there: it is left there, empty") {
    fs::create_directories(e.copy);
    e.runner.failure_of[e.commit] = "fatal: unable to write new index file\n";
    CHECK(e.run() == kExitFailures);
    CHECK(fs::is_directory(e.copy));
    CHECK(fs::is_empty(e.copy));
  }
  CHECK(e.out.str().empty());
}

TEST_CASE("export: a tar that fails stops it with tar's words on stderr and the archive removed", "[export]") {
  FakeExport e;
  e.runner.failure_of[e.tar] = "tar: export.tar: Cannot open: No such file or directory\n";
  CHECK(e.run() == kExitFailures);
  CHECK(e.err.str() == "grader: error: tar -xf failed:\ntar: export.tar: Cannot open: No such file or directory\n\n");
  CHECK(e.out.str().empty());
  CHECK(e.commands().find("git init") == std::string::npos);
  CHECK_FALSE(fs::exists(e.archive));
  CHECK_FALSE(fs::exists(e.copy));
}

namespace {

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
struct GitCourse {
  fs::path top = fs::temp_directory_path() / ("grader-export-" + std::to_string(::getpid()));
  fs::path root = top / "course";
  fs::path copy = top / "copy";

  GitCourse() {
    fs::remove_all(top);
    write_file(root / "exercises" / "01-a" / "a.cpp", "// TODO\n");
    write_file(root / "solutions" / "01-a" / "a.cpp", "// solved\n");
    write_file(root / "tests" / "01-a" / "a_test.cpp", "// tests\n");
    write_file(root / "tests" / "01-a" / "mutants" / "m" / "mutant.patch", "// a bug\n");
    sh(root, "git init -q -b main && git add -A && git -c user.name=t -c user.email=t@t commit -q -m course");
    write_file(root / "exercises" / "01-a" / "a.cpp", "// solved\n");
  }
  ~GitCourse() { fs::remove_all(top); }
};

}  // namespace

TEST_CASE("export on real git and tar: the committed stubs, without solutions and mutants, in a clean one-commit repository",
          "[export]") {
  GitCourse course;
  PosixProcessRunner runner;
  std::ostringstream out, err;
  Context ctx{Paths::from_root(course.root), runner, out, err};
  REQUIRE(run_export(ctx, {course.copy.string(), true}) == kExitPass);
  CHECK(err.str().empty());
  CHECK(read_text_file(course.copy / "exercises" / "01-a" / "a.cpp") == "// TODO\n");
  CHECK(read_text_file(course.copy / "tests" / "01-a" / "a_test.cpp") == "// tests\n");
  CHECK_FALSE(fs::exists(course.copy / "solutions"));
  CHECK_FALSE(fs::exists(course.copy / "tests" / "01-a" / "mutants"));
  sh(course.copy, "test \"$(git rev-list --count HEAD)\" = 1 && test -z \"$(git status --porcelain)\"");
}
