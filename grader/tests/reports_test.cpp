// Every report format from one run with a passing and a failing exercise:
// compared with golden files (GRADER_UPDATE_GOLDEN=1 rewrites them) and
// validated: JUnit with xmllint against junit-10.xsd, the JSON formats
// against JSON Schemas (python3-jsonschema).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "collect/coverage.hpp"
#include "report/formats.hpp"
#include "report/text.hpp"
#include "run/process.hpp"

using namespace grader;
namespace fs = std::filesystem;

namespace {

RunSummary sample_run() {
  ExerciseResult pass;
  pass.slug = "16-deadlock";
  pass.title = "Transfers that cannot deadlock";
  pass.implementation = "exercise";
  pass.profile = "plain";
  pass.verdict = Verdict::pass;
  pass.points = pass.max_points = 10;
  pass.seconds = 1.25;
  pass.coverage = {true, 40, 42, 9, 12, "build/reports/coverage/16-deadlock/index.html", ""};
  pass.tests = {{"transfer moves money", TestStatus::pass, false, "", "", 0.5},
                {"opposite transfers do not deadlock", TestStatus::pass, false, "", "kata: seed 7\n", 0.75}};

  ExerciseResult fail;
  fail.slug = "20-thread-pool";
  fail.title = "A thread pool";
  fail.implementation = "exercise";
  fail.profile = "plain";
  fail.verdict = Verdict::fail;
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

  ExerciseResult broken;
  broken.slug = "27-gather-wait";
  broken.title = "gather & wait <async>";
  broken.implementation = "exercise";
  broken.profile = "plain";
  broken.verdict = Verdict::build_error;
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

ProcessResult run(std::vector<std::string> argv) {
  PosixProcessRunner runner;
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.timeout = std::chrono::seconds(60);
  return runner.run(spec);
}

fs::path written_reports() {
  auto dir = fs::temp_directory_path() / ("grader-reports-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  REQUIRE(write_reports(dir, sample_run()).empty());
  return dir;
}

}  // namespace

TEST_CASE("results.json matches its golden file and its schema", "[reports]") {
  auto dir = written_reports();
  check_golden("results.json", read(dir / "results.json"));
  auto r = run({"/usr/bin/python3", "-m", "jsonschema", "-i", (dir / "results.json").string(),
                std::string(GRADER_SOURCE_DIR) + "/docs/schemas/results.schema.json"});
  INFO(r.output);
  CHECK(r.exited_ok());
  fs::remove_all(dir);
}

TEST_CASE("JUnit XML matches its golden file and validates against junit-10.xsd", "[reports]") {
  auto dir = written_reports();
  check_golden("junit.xml", read(dir / "junit.xml"));
  auto xsd = fs::path(GRADER_SOURCE_DIR) / "../shared/validators/junit-10.xsd";
  if (!fs::exists(xsd)) xsd = fs::path(GRADER_SOURCE_DIR) / "grader/tests/junit-10.xsd";
  if (fs::exists(xsd)) {
    auto r = run({"xmllint", "--noout", "--schema", xsd.string(), (dir / "junit.xml").string()});
    INFO(r.output << r.start_error);
    CHECK(r.exited_ok());
  } else {
    WARN("junit-10.xsd is not beside the repository (../shared/validators/): schema not checked");
  }
  fs::remove_all(dir);
}

TEST_CASE("the Markdown report matches its golden file", "[reports]") {
  auto dir = written_reports();
  auto md = read(dir / "report.md");
  check_golden("report.md", md);
  CHECK(md.rfind(kMarkdownMarker, 0) == 0);
  fs::remove_all(dir);
}

TEST_CASE("Gradescope's results match their golden file and the published fields", "[reports]") {
  auto dir = written_reports();
  check_golden("gradescope.json", read(dir / "gradescope.json"));
  auto r = run({"/usr/bin/python3", "-m", "jsonschema", "-i", (dir / "gradescope.json").string(),
                std::string(GRADER_SOURCE_DIR) + "/grader/tests/gradescope.schema.json"});
  INFO(r.output);
  CHECK(r.exited_ok());
  fs::remove_all(dir);
}

TEST_CASE("Exercism's results, one file per exercise, match the published interface", "[reports]") {
  auto dir = written_reports();
  check_golden("exercism-20-thread-pool.json", read(dir / "exercism" / "20-thread-pool.json"));
  for (auto slug : {"16-deadlock", "20-thread-pool", "27-gather-wait"}) {
    auto r = run({"/usr/bin/python3", "-m", "jsonschema", "-i", (dir / "exercism" / (std::string(slug) + ".json")).string(),
                  std::string(GRADER_SOURCE_DIR) + "/grader/tests/exercism.schema.json"});
    INFO(slug << "\n" << r.output);
    CHECK(r.exited_ok());
  }
  fs::remove_all(dir);
}

TEST_CASE("a run that did not finish is an error in every format", "[reports]") {
  RunSummary unfinished{{}, 0, false};
  CHECK(results_json(unfinished).find("\"status\":\"error\"") != std::string::npos);
  CHECK(markdown_report(unfinished).find("grading did not finish") != std::string::npos);
}

TEST_CASE("text for reports is valid UTF-8 without control characters", "[reports]") {
  CHECK(clean_text("ok\tfine\n") == "ok\tfine\n");
  CHECK(clean_text("\x1b[31mred\x1b[0m") == "red");
  CHECK(clean_text("bell\x07 and \xff byte") == "bell? and ? byte");
  CHECK(clean_text("Что такое") == "Что такое");
  CHECK(clean_text("\xd0") == "?");
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
