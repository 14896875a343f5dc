#include <catch2/catch.hpp>

#include "select/test_names.hpp"

using namespace grader;

TEST_CASE("Catch2's special characters are escaped in a test spec", "[test_names]") {
  CHECK(escape_test_spec("plain name") == "plain name");
  CHECK(escape_test_spec("a, b [c] ~d \\e") == "a\\, b \\[c\\] \\~d \\\\e");
}

TEST_CASE("names that cannot be selected alone are reported", "[test_names]") {
  auto problems = lint_test_names({"fine", " leading space", "*wild", "~tilde", "exclude:me", "FINE"});
  REQUIRE(problems.size() == 5);
  CHECK(problems[0] == "test \" leading space\": leading or trailing white space cannot be selected");
  CHECK(problems[1] == "test \"*wild\": a leading or trailing '*' is a wildcard in test specs");
  CHECK(problems[2] == "test \"~tilde\": a leading '~' excludes instead of selecting");
  CHECK(problems[3] == "test \"exclude:me\": \"exclude:\" excludes instead of selecting");
  CHECK(problems[4] == "test \"FINE\": same as \"fine\" ignoring case");
}
