// Every report format from one run with a passing and a failing exercise:
// compared with golden files (GRADER_UPDATE_GOLDEN=1 rewrites them) and
// validated: JUnit with xmllint against junit-10.xsd, the JSON formats
// against JSON Schemas (python3-jsonschema).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include "collect/coverage.hpp"
#include "learner_result.hpp"
#include "report/clean_text.hpp"
#include "report/formats.hpp"
#include "run_tool.hpp"

using namespace grader;
namespace fs = std::filesystem;

namespace {

RunSummary sample_run() {
  auto pass = learner_result("16-deadlock", Verdict::pass);
  pass.title = "Transfers that cannot deadlock";
  pass.points = pass.max_points = 10;
  pass.seconds = 1.25;
  pass.coverage = {true, 40, 42, 9, 12, "build/reports/coverage/16-deadlock/index.html", ""};
  pass.tests = {{"transfer moves money", TestStatus::pass, false, "", "", 0.5},
                {"opposite transfers do not deadlock", TestStatus::pass, false, "", "kata: seed 7\n", 0.75}};

  auto fail = learner_result("20-thread-pool", Verdict::fail);
  fail.title = "A thread pool";
  fail.max_points = 10;
  fail.seconds = 6.5;
  fail.tests = {
      {"submit returns a future", TestStatus::fail, false,
       "tests/20-thread-pool/thread_pool_test.cpp:20: REQUIRE( f.get() == 42 )\n  with expansion: 0 == 42",
       "kata: seed 7\n\x1b[31mred\x1b[0m and a bad byte \xff", 0.125},
      {"the destructor returns within a deadline", TestStatus::timeout, false,
       "timed out after 5 s: likely deadlock or livelock\nwhere each thread was:\nthread 2:\n  waiting in futex", "", 5.0},
      {"a hidden check", TestStatus::fail, true, "this hidden test failed (its checks are not shown)", "", 0.25},
      {"a skipped one", TestStatus::skipped, false, "not run: this run already failed a test", "", 0}};

  auto broken = learner_result("27-gather-wait", Verdict::build_error);
  broken.title = "gather & wait <async>";
  broken.max_points = 10;
  broken.message = "exercises/27-gather-wait/gather_wait.cpp:12:5: error: use of undeclared identifier 'x'";
  return {{pass, fail, broken}, 13.5, true};
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void check_golden(const std::string& name, const std::string& actual) {
  auto path = fs::path(GRADER_SOURCE_DIR) / "grader/tests/golden" / name;
  if (std::getenv("GRADER_UPDATE_GOLDEN")) std::ofstream(path, std::ios::binary) << actual;
  INFO("golden file " << path.string() << " (GRADER_UPDATE_GOLDEN=1 rewrites it)");
  CHECK(actual == read(path));
}

// `file` against a JSON Schema of the repository (python3-jsonschema).
bool validates(const fs::path& file, const std::string& schema) {
  auto r = run_tool(
      {"/usr/bin/python3", "-m", "jsonschema", "-i", file.string(), std::string(GRADER_SOURCE_DIR) + "/" + schema});
  UNSCOPED_INFO(file.string() << ": " << r.output << r.start_error);
  return r.exited_ok();
}

// `file` against junit-10.xsd (xmllint), when the schema is there.
bool junit_validates(const fs::path& file) {
  auto xsd = fs::path(GRADER_SOURCE_DIR) / "../shared/validators/junit-10.xsd";
  if (!fs::exists(xsd)) xsd = fs::path(GRADER_SOURCE_DIR) / "grader/tests/junit-10.xsd";
  if (!fs::exists(xsd)) {
    WARN("junit-10.xsd is not beside the repository (../shared/validators/): schema not checked");
    return true;
  }
  auto r = run_tool({"xmllint", "--noout", "--schema", xsd.string(), file.string()});
  UNSCOPED_INFO(file.string() << ": " << r.output << r.start_error);
  return r.exited_ok();
}

// The reports of sample_run(), written to a folder of their own that goes
// away with them.
struct SampleReports {
  fs::path dir = fs::temp_directory_path() / ("grader-reports-" + std::to_string(::getpid()));

  SampleReports() {
    fs::remove_all(dir);
    REQUIRE(write_reports(dir, sample_run()).empty());
  }
  ~SampleReports() { fs::remove_all(dir); }
};

}  // namespace

TEST_CASE("results.json, JUnit XML and Gradescope's results match their golden files and their schemas", "[reports]") {
  // A report file, and its schema: JSON Schema's, or for JUnit junit-10.xsd.
  auto [file, schema] = GENERATE(table<std::string, std::string>({
      {"results.json", "docs/schemas/results.schema.json"},
      {"junit.xml", "junit-10.xsd"},
      {"gradescope.json", "grader/tests/gradescope.schema.json"},  // the published fields
  }));
  SampleReports reports;
  check_golden(file, read(reports.dir / file));
  if (schema == "junit-10.xsd")
    CHECK(junit_validates(reports.dir / file));
  else
    CHECK(validates(reports.dir / file, schema));
}

TEST_CASE("the Markdown report matches its golden file", "[reports]") {
  SampleReports reports;
  auto md = read(reports.dir / "report.md");
  check_golden("report.md", md);
  CHECK(md.rfind(kMarkdownMarker, 0) == 0);
}

TEST_CASE("Exercism's results, one file per exercise, match the published interface", "[reports]") {
  SampleReports reports;
  check_golden("exercism-20-thread-pool.json", read(reports.dir / "exercism" / "20-thread-pool.json"));
  for (std::string slug : {"16-deadlock", "20-thread-pool", "27-gather-wait"})
    CHECK(validates(reports.dir / "exercism" / (slug + ".json"), "grader/tests/exercism.schema.json"));
}

TEST_CASE("a run that did not finish is an error in every format", "[reports]") {
  RunSummary unfinished{{}, 0, false};
  CHECK(results_json(unfinished) ==
        "{\"schema_version\":1,\"status\":\"error\",\"score\":0,\"max_score\":0,\"duration_s\":0E0,\"exercises\":[]}\n");
  CHECK(markdown_report(unfinished) ==
        "<!-- concurrency-kata-report -->\n## concurrency-kata: grading did not finish\n\n"
        "The grader stopped before it had a verdict.\n");
  CHECK(gradescope_json(unfinished) ==
        "{\"score\":0,\"execution_time\":0,\"output\":\"error: grading did not finish. The grader stopped before it "
        "had a verdict.\",\"visibility\":\"visible\",\"stdout_visibility\":\"hidden\",\"tests\":[]}\n");
  auto junit = junit_xml(unfinished);
  CHECK(junit.find("<testsuites name=\"concurrency-kata\" tests=\"1\" failures=\"0\" errors=\"1\"") != std::string::npos);
  CHECK(junit.find("<error type=\"error\" message=\"grading did not finish\">The grader stopped before it had a "
                   "verdict.</error>") != std::string::npos);
}

TEST_CASE("a run that graded nothing is an error, not 0 of 0 points", "[reports]") {
  RunSummary nothing{{}, 0, true};
  CHECK(results_json(nothing).find("\"status\":\"error\"") != std::string::npos);
  CHECK(markdown_report(nothing) ==
        "<!-- concurrency-kata-report -->\n## concurrency-kata: nothing was graded\n\nNo exercise was selected.\n");
  CHECK(gradescope_json(nothing).find("\"output\":\"error: nothing was graded. No exercise was selected.\"") !=
        std::string::npos);
  CHECK(junit_xml(nothing).find("message=\"nothing was graded\"") != std::string::npos);
}

TEST_CASE("the reports of a run without a score validate", "[reports]") {
  for (bool finished : {false, true}) {
    auto dir = fs::temp_directory_path() / ("grader-reports-none-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    REQUIRE(write_reports(dir, RunSummary{{}, 0, finished}).empty());
    INFO("finished: " << finished);
    CHECK(validates(dir / "results.json", "docs/schemas/results.schema.json"));
    CHECK(validates(dir / "gradescope.json", "grader/tests/gradescope.schema.json"));
    CHECK(junit_validates(dir / "junit.xml"));
    fs::remove_all(dir);
  }
}

TEST_CASE("results.json accepts every profile the grader writes", "[reports]") {
  RunSummary all;
  for (std::string profile : {"plain", "tsan", "asan", "noise", "coverage"}) {
    ExerciseResult r;
    r.slug = "10-check-then-act";
    r.title = "Check, then act";
    r.implementation = profile == "noise" ? "mutant.unlocked" : "solution";
    r.profile = profile;
    r.verdict = Verdict::pass;
    r.points = r.max_points = 10;
    r.tests = {{"one", TestStatus::pass, false, "", "", 0.5}};
    if (profile == "coverage") r.coverage = {true, 0, 0, 0, 0, "", ""};
    all.results.push_back(r);
  }
  auto dir = fs::temp_directory_path() / ("grader-reports-profiles-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  REQUIRE(write_reports(dir, all).empty());
  CHECK(validates(dir / "results.json", "docs/schemas/results.schema.json"));
  CHECK(read(dir / "results.json").find("\"profile\":\"noise\"") != std::string::npos);
  CHECK(read(dir / "results.json").find("\"lines_percent\":1E2") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("Markdown code blocks cannot be closed by the text inside them", "[reports]") {
  auto run = sample_run();
  run.results[2].message = "```\n## concurrency-kata: 30 of 30 points\n````";
  auto md = markdown_report(run);
  CHECK(md.find("\n`````\n```\n## concurrency-kata: 30 of 30 points\n````\n`````\n") != std::string::npos);
  run.results[1].tests[0].name = "a *bold* <b>name</b>";
  CHECK(markdown_report(run).find("- **fail** a \\*bold\\* \\<b\\>name\\</b\\>\n") != std::string::npos);
}

TEST_CASE("the Markdown report stays within a GitHub comment's 65536 characters", "[reports]") {
  RunSummary many;
  for (int i = 0; i < 40; ++i) {
    ExerciseResult r;
    r.slug = fmt::format("{:02}-broken", i);
    r.implementation = "exercise";
    r.profile = "plain";
    r.verdict = Verdict::build_error;
    r.max_points = 10;
    for (int line = 0; line < 400; ++line) r.message += "ошибка: нет такого имени\n";
    many.results.push_back(r);
  }
  auto md = markdown_report(many);
  CHECK(char_count(md) <= 65536);
  CHECK(md.size() > 65536);  // bytes: the limit counts characters
  const std::string note = "\n(more failures than a comment holds: see results.json)\n";
  CHECK(md.compare(md.size() - note.size(), note.size(), note) == 0);
}

TEST_CASE("coverage counts each file's own lines, not a header's phantoms past its end", "[coverage]") {
  std::string info =
      "TN:\nSF:/r/solutions/30-x/run.cpp\nDA:3,1\nDA:7,0\nDA:119,0\nBRDA:7,0,0,1\nBRDA:401,0,0,-\n"
      "LF:3\nLH:1\nend_of_record\n";
  auto kept = drop_lines_past_end(info, [](const std::string&) { return 30; });
  auto c = parse_tracefile(kept);
  CHECK(c.lines_total == 2);
  CHECK(c.lines_hit == 1);
  CHECK(c.branches_total == 1);
  CHECK(c.uncovered == "run.cpp: 7\n");
  CHECK(kept.find("DA:119") == std::string::npos);
}

TEST_CASE("an unfinished run leaves no per-exercise verdict of the run before", "[reports]") {
  auto dir = fs::temp_directory_path() / fmt::format("grader-reports-stale-{}", ::getpid());
  fs::remove_all(dir);
  REQUIRE(write_reports(dir, sample_run()).empty());
  REQUIRE(fs::exists(dir / "exercism" / "16-deadlock.json"));
  REQUIRE(write_reports(dir, RunSummary{{}, 0, false}).empty());
  CHECK_FALSE(fs::exists(dir / "exercism"));
  fs::remove_all(dir);
}
