#include <catch2/catch.hpp>

#include "select/requirements.hpp"

using namespace grader;

TEST_CASE("the README's numbered requirements are read from their section only", "[requirements]") {
  std::string readme =
      "# 13 Semaphore\n\n## Task\n\n1. not a requirement\n\n## Requirements\n\n"
      "1. `Semaphore(n)` starts with n permits.\n   continued\n2. `try_acquire()` ...\n\n"
      "10. the tenth\n\n## Hints\n\n3. not one either\n";
  CHECK(readme_requirements(readme) == std::set<int>{1, 2, 10});
}

TEST_CASE("tags name requirements", "[requirements]") {
  CHECK(tagged_requirements("TEST_CASE(\"a\", \"[13-semaphore][req:2][req:5]\")\nTEST_CASE(\"b\", \"[req:2]\")") ==
        std::set<int>{2, 5});
}

TEST_CASE("a requirement without a test, and a tag without a requirement, are named", "[requirements]") {
  CHECK(traceability_problems({1, 2, 3}, {1, 3, 4}) ==
        std::vector<std::string>{"requirement 2 has no test tagged [req:2]", "[req:4] names no requirement (the README has 1 to 3)"});
  CHECK(traceability_problems({1, 2}, {1, 2}).empty());
  CHECK(traceability_problems({}, {1}) ==
        std::vector<std::string>{"the README has no numbered requirements under \"## Requirements\""});
}
