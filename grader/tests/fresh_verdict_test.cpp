// watch grades again when a save lands while it grades, and says so.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "watch/fresh_verdict.hpp"

using namespace grader;
namespace fs = std::filesystem;

namespace {

struct Folder {
  fs::path dir = fs::temp_directory_path() / ("grader-fresh-" + std::to_string(::getpid())) / "16-deadlock";
  Folder() {
    fs::create_directories(dir);
    save("deadlock.cpp", "// deadlocks\n");
  }
  ~Folder() { fs::remove_all(dir.parent_path()); }
  void save(const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; }
};

// A grade whose result names the text it read.
ExerciseResult graded_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  ExerciseResult r;
  r.message = text.str();
  return r;
}

}  // namespace

TEST_CASE("a save while grading is said and graded again; the verdict is the text on disk", "[watch]") {
  Folder folder;
  std::ostringstream out;
  SourceSnapshot graded;
  int grades = 0;
  auto results = grade_until_unchanged(
      folder.dir, "exercises/16-deadlock",
      [&] {
        auto r = graded_text(folder.dir / "deadlock.cpp");
        if (++grades == 1) folder.save("deadlock.cpp", "// fixed\n");  // the fix lands mid-grade
        return std::vector<ExerciseResult>{r};
      },
      out, graded);
  CHECK(grades == 2);
  CHECK(out.str() == "exercises/16-deadlock/deadlock.cpp changed while it was being graded: grading it again.\n");
  REQUIRE(results.size() == 1);
  CHECK(results.front().message == "// fixed\n");
  CHECK(graded == snapshot_sources(folder.dir));
}

TEST_CASE("an editor's backup file saved while grading does not grade again", "[watch]") {
  Folder folder;
  std::ostringstream out;
  SourceSnapshot graded;
  int grades = 0;
  grade_until_unchanged(
      folder.dir, "exercises/16-deadlock",
      [&] {
        ++grades;
        folder.save("deadlock.cpp~", "backup");
        folder.save(".deadlock.cpp.swp", "swap");
        return std::vector<ExerciseResult>{};
      },
      out, graded);
  CHECK(grades == 1);
  CHECK(out.str().empty());
}
