#include <catch2/catch.hpp>

#include "select/catalog.hpp"
#include "select/selection.hpp"

using namespace grader;

namespace {
std::vector<Exercise> course() {
  std::vector<Exercise> all(3);
  all[0].slug = "16-deadlock";
  all[1].slug = "20-thread-pool";
  all[2].slug = "27-gather-wait";
  return all;
}
}  // namespace

TEST_CASE("exercises are selected by slug, number or name", "[selection]") {
  auto all = course();
  auto s = select_exercises(all, {"16-deadlock", "20", "gather-wait"});
  REQUIRE(s.errors.empty());
  REQUIRE(s.exercises.size() == 3);
  CHECK(s.exercises[0]->slug == "16-deadlock");
  CHECK(s.exercises[1]->slug == "20-thread-pool");
  CHECK(s.exercises[2]->slug == "27-gather-wait");
}

TEST_CASE("no names select every exercise, in order", "[selection]") {
  auto all = course();
  CHECK(select_exercises(all, {}).exercises.size() == 3);
}

TEST_CASE("a misspelt name gets a suggestion", "[selection]") {
  auto all = course();
  auto s = select_exercises(all, {"deadlok"});
  REQUIRE(s.errors.size() == 1);
  CHECK(s.errors[0] == "unknown exercise 'deadlok', did you mean '16-deadlock'?");
  auto far = select_exercises(all, {"quantum-computing"});
  CHECK(far.errors[0] == "unknown exercise 'quantum-computing' (./kata list shows them all)");
}

TEST_CASE("shards split the exercises evenly and cover each once", "[selection]") {
  auto all = course();
  auto s = select_exercises(all, {});
  auto a = shard(s.exercises, 1, 2), b = shard(s.exercises, 2, 2);
  CHECK(a.size() == 2);
  CHECK(b.size() == 1);
  CHECK(a[0]->slug == "16-deadlock");
  CHECK(b[0]->slug == "20-thread-pool");
}

TEST_CASE("kata.json is parsed, and a bad one is rejected with the reason", "[catalog]") {
  const char* good = R"({"schema_version": 1, "title": "T", "module": "threads", "blurb": "B",
    "question": {"ru": "Что?", "en": "What?"}, "files": ["a.hpp", "a.cpp"], "points": 10, "timeout_s": 5,
    "profiles": {"plain": {}, "tsan": {"options": "detect_deadlocks=0"}}, "hints": ["h1", "h2"],
    "forbidden": [{"symbol": "sleep_for", "hint": "no"}]})";
  Exercise ex;
  std::string why;
  REQUIRE(parse_exercise(good, "16-x", ex, why));
  CHECK(ex.files == std::vector<std::string>{"a.hpp", "a.cpp"});
  CHECK(ex.profiles.at("tsan") == "detect_deadlocks=0");
  CHECK(ex.timeout_s == 5);
  CHECK(ex.forbidden.at(0).symbol == "sleep_for");

  Exercise bad;
  CHECK_FALSE(parse_exercise(R"({"schema_version": 2})", "x", bad, why));
  CHECK(why == "schema_version must be 1 (this grader reads version 1)");
  CHECK_FALSE(parse_exercise(R"({"schema_version": 1, "title": "T"})", "x", bad, why));
  CHECK(why == "missing key \"module\"");
  CHECK_FALSE(parse_exercise("{", "x", bad, why));
  CHECK_THAT(why, Catch::StartsWith("not valid JSON"));
}
