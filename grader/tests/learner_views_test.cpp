// What watch's keys print: a hint that points at the key, a list that fits.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <unistd.h>

#include "commands/commands.hpp"

using namespace grader;
namespace fs = std::filesystem;

namespace {

// A throwaway course holding the metadata of some of the real exercises.
struct Course {
  fs::path root = fs::temp_directory_path() / ("grader-views-" + std::to_string(::getpid()));
  std::vector<std::string> slugs;

  Course() {
    fs::remove_all(root);
    for (const auto& e : fs::directory_iterator(fs::path(GRADER_SOURCE_DIR) / "exercises")) {
      fs::create_directories(root / "exercises" / e.path().filename());
      fs::copy_file(e.path() / "kata.json", root / "exercises" / e.path().filename() / "kata.json");
      slugs.push_back(e.path().filename().string());
    }
    std::sort(slugs.begin(), slugs.end());
  }
  ~Course() { fs::remove_all(root); }
};

int count_lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST_CASE("a hint in watch says which key shows the next one", "[views]") {
  Course course;
  PosixProcessRunner runner;
  std::ostringstream watch_out, command_out;
  Context watch{Paths::from_root(course.root), runner, watch_out};
  REQUIRE(run_hint(watch, {.name = "16"}, true) == kExitPass);
  CHECK(watch_out.str().substr(watch_out.str().rfind("\n\n")) == "\n\nAnother hint: press h\n");

  Context command{Paths::from_root(course.root), runner, command_out};
  REQUIRE(run_hint(command, {.name = "16"}) == kExitPass);
  CHECK(command_out.str().substr(command_out.str().rfind("\n\n")) ==
        "\n\nAnother hint: ./kata hint 16-deadlock   (all at once: --all)\n");
}

TEST_CASE("watch's list fits the terminal, around the current exercise", "[views]") {
  Course course;
  REQUIRE(course.slugs.size() > 20);
  PosixProcessRunner runner;
  std::ostringstream out;
  Context ctx{Paths::from_root(course.root), runner, out};
  REQUIRE(run_list_fitted(ctx, "16-deadlock", 12) == kExitPass);
  auto text = out.str();
  CHECK(count_lines(text) == 12);
  CHECK(text.find("> -       16-deadlock") != std::string::npos);
  CHECK(text.rfind("  ... ", 0) == 0);
  CHECK(text.find(" more below\n") != std::string::npos);
  CHECK(text.substr(text.rfind("more below\n") + 11) == "0 of " + std::to_string(course.slugs.size()) + " done\n");

  std::ostringstream all;
  Context roomy{Paths::from_root(course.root), runner, all};
  run_list_fitted(roomy, "16-deadlock", 200);
  CHECK(count_lines(all.str()) == static_cast<int>(course.slugs.size()) + 1);
}
