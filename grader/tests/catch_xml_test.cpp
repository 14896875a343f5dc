#include <catch2/catch.hpp>

#include "collect/catch_xml.hpp"

using namespace grader;

namespace {
// Shaped as Catch2 2.13's XML reporter writes a run of one selected test.
const char* kFailedReport = R"(<?xml version="1.0" encoding="UTF-8"?>
<Catch name="solution" filters="transfer\, conserves">
  <Group name="solution">
    <TestCase name="transfer, conserves" tags="[16-deadlock]" filename="/r/tests/16-deadlock/bank_test.cpp" line="10">
      <Section name="opposite directions" filename="/r/tests/16-deadlock/bank_test.cpp" line="12">
        <Info>seed 7</Info>
        <Expression success="false" type="REQUIRE" filename="/r/tests/16-deadlock/bank_test.cpp" line="20">
          <Original>bank.total() == 1000</Original>
          <Expanded>990 == 1000</Expanded>
        </Expression>
        <OverallResults successes="0" failures="1" expectedFailures="0"/>
      </Section>
      <OverallResult success="false"><StdOut>kata: seed 7
</StdOut></OverallResult>
    </TestCase>
    <OverallResults successes="0" failures="1" expectedFailures="0"/>
  </Group>
  <OverallResults successes="0" failures="1" expectedFailures="0"/>
</Catch>
)";
}  // namespace

TEST_CASE("a failed expression in a section is reported with its location, values and messages", "[catch_xml]") {
  auto r = parse_catch_xml(kFailedReport, "transfer, conserves");
  REQUIRE(r.parsed);
  CHECK(r.test_cases_run == std::vector<std::string>{"transfer, conserves"});
  CHECK_FALSE(r.success);
  CHECK(r.failure ==
        "/r/tests/16-deadlock/bank_test.cpp:20: REQUIRE( bank.total() == 1000 )\n"
        "  with expansion: 990 == 1000\n"
        "  with message: seed 7");
  CHECK(r.std_out == "kata: seed 7\n");
}

TEST_CASE("a report cut off by a crash is not parsed", "[catch_xml]") {
  std::string cut(kFailedReport);
  cut.resize(cut.find("</TestCase>"));
  auto r = parse_catch_xml(cut, "transfer, conserves");
  CHECK_FALSE(r.parsed);
  CHECK_FALSE(r.parse_error.empty());
}

TEST_CASE("a report of another test does not count as the selected one", "[catch_xml]") {
  auto r = parse_catch_xml(kFailedReport, "something else");
  REQUIRE(r.parsed);
  CHECK_FALSE(r.success);
  CHECK(r.failure.empty());
  CHECK(r.test_cases_run.size() == 1);
}

TEST_CASE("a passing report is a success", "[catch_xml]") {
  auto r = parse_catch_xml(R"(<Catch name="x"><Group name="x">
    <TestCase name="t" tags="" filename="f" line="1"><OverallResult success="true"/></TestCase>
    <OverallResults successes="1" failures="0" expectedFailures="0"/></Group>
    <OverallResults successes="1" failures="0" expectedFailures="0"/></Catch>)", "t");
  REQUIRE(r.parsed);
  CHECK(r.success);
}
