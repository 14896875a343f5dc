// What a learner's program prints reaches the terminal as visible text: it
// cannot move the cursor, clear the screen or overwrite the score line.
#include <catch2/catch.hpp>

#include <sstream>

#include "learner_result.hpp"
#include "report/table.hpp"

using namespace grader;

TEST_CASE("failures on the terminal show a program's escape sequences instead of sending them", "[terminal]") {
  auto r = learner_result("20-thread-pool", Verdict::fail);
  r.message = "\x1b]0;title\x07";
  r.tests = {{"submit\x1b[2J", TestStatus::fail, false, "expected 42\x1b[H", "score: 10 of 10\r\x1b[2K\xC2\x9B" "1A", 0}};
  std::ostringstream out;
  print_failures(out, {r});
  CHECK(out.str() ==
        "\n20-thread-pool (exercise, plain): fail, 0 of 1 tests passed\n"
        "  \\x1b]0;title\\x07\n"
        "  fail      submit\\x1b[2J\n"
        "            expected 42\\x1b[H\n"
        "            output:\n"
        "              score: 10 of 10\\x0d\\x1b[2K\\u009b1A\n");
  CHECK(out.str().find('\x1b') == std::string::npos);
  CHECK(out.str().find('\r') == std::string::npos);
}

TEST_CASE("a failing test's output on the terminal is cut to 1200 characters", "[terminal]") {
  auto r = learner_result("20-thread-pool", Verdict::fail);
  std::string output;
  for (int i = 0; i < 1500; ++i) output += "ж";
  output += "\xD0";  // a letter cut in half by the output cap
  r.tests = {{"t", TestStatus::fail, false, "m", output, 0}};
  std::ostringstream out;
  print_failures(out, {r});
  CHECK(out.str().find("\n              [... 332 characters cut ...]\n") != std::string::npos);
  CHECK(out.str().find("\xD0\n") == std::string::npos);
  CHECK(out.str().find("ж\xEF\xBF\xBD\n") != std::string::npos);
}

TEST_CASE("every failing test gets a line: the first ones in full, the others by name", "[terminal]") {
  auto r = learner_result("16-deadlock", Verdict::fail);
  r.tests = {{"first", TestStatus::fail, false, "expected 1", "", 0},
             {"passes", TestStatus::pass, false, "", "", 0},
             {"second", TestStatus::timeout, false, "timed out after 5 s", "", 0},
             {"third", TestStatus::error, false, "exited", "", 0}};
  std::ostringstream out;
  print_failures(out, {r}, 1);
  CHECK(out.str() ==
        "\n16-deadlock (exercise, plain): fail, 1 of 4 tests passed\n"
        "  fail      first\n"
        "            expected 1\n"
        "  timeout   second\n"
        "  error     third\n");
}
