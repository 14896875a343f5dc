#include <catch2/catch.hpp>

#include "select/requirements.hpp"

using namespace grader;

TEST_CASE("the README's numbered requirements are read from their section only", "[requirements]") {
  std::string readme =
      "# 13 Semaphore\n\n## Task\n\n1. not a requirement\n\n## Requirements\n\n"
      "1. `Semaphore(n)` starts with n permits.\n   continued\n2. `try_acquire()` ...\n\n"
      "10. the tenth\n\n## Hints\n\n3. not one either\n";
  auto items = readme_requirements(readme);
  REQUIRE(items.size() == 3);
  CHECK(items.at(1) == "1. `Semaphore(n)` starts with n permits.\n   continued");
  CHECK(items.count(2) == 1);
  CHECK(items.count(10) == 1);
}

TEST_CASE("tags name requirements", "[requirements]") {
  CHECK(tagged_requirements("TEST_CASE(\"a\", \"[13-semaphore][req:2][req:5]\")\nTEST_CASE(\"b\", \"[req:2]\")") ==
        std::set<int>{2, 5});
}

TEST_CASE("a requirement without a test, and a tag without a requirement, are named", "[requirements]") {
  std::map<int, std::string> three{{1, "1. a"}, {2, "2. b"}, {3, "3. c"}};
  CHECK(traceability_problems(three, {1, 3, 4}, {}) ==
        std::vector<std::string>{"requirement 2 has no test tagged [req:2]", "[req:4] names no requirement (the README has 1 to 3)"});
  CHECK(traceability_problems(three, {1, 2, 3}, {}).empty());
  CHECK(traceability_problems({}, {1}, {}) ==
        std::vector<std::string>{"the README has no numbered requirements under \"## Requirements\""});
}

TEST_CASE("a requirement that bans a symbol kata.json forbids is checked by the forbidden-symbol scan", "[requirements]") {
  std::map<int, std::string> reqs{{1, "1. a"}, {2, "2. `detached` and `use_future` are not allowed."}};
  CHECK(traceability_problems(reqs, {1}, {"detached", "use_future"}).empty());
  CHECK(traceability_problems(reqs, {1}, {"co_spawn"}) ==
        std::vector<std::string>{"requirement 2 has no test tagged [req:2]"});
}
