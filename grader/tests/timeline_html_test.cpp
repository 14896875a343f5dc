// The failure timeline page (report/timeline_html.hpp) and how the reports
// link it: drawn from the explore scheduler's trace, every learner text escaped.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "collect/verdict.hpp"
#include "learner_result.hpp"
#include "run/test_runner.hpp"
#include "process/process.hpp"
#include "report/formats.hpp"
#include "report/timeline_html.hpp"

using namespace grader;
namespace fs = std::filesystem;

namespace {

// Two threads take m1 and m2 in opposite orders: the deadlock of 16.
const std::string kDeadlockTrace =
    "0 10000 T0 create t1\n"
    "1 20000 T0 create t2\n"
    "2 30000 T1 start\n"
    "3 40000 T2 start\n"
    "4 50000 T1 lock m1\n"
    "5 60000 T2 lock m2\n"
    "6 70000 T1 lock m2\n"
    "7 80000 T2 lock m1\n"
    "8 90000 T0 join t1\n"
    "# deadlock: T1 wants m2 held by T2; T2 wants m1 held by T1; a cycle: none of them can go on\n";

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("a trace parses into its events and notes; a malformed line is skipped", "[timeline]") {
  auto t = parse_trace(kDeadlockTrace + "9 100000 T1 lock m1 <script>\nnot an event\n9 x T1 lock\n9 100000 T1 <b> m1\n"
                                        "3 100000 T1 unlock m1\n10 100000 T1 timed out c4\n");
  REQUIRE(t.events.size() == 10);
  CHECK(t.events[4].thread == 1);
  CHECK(t.events[4].op == "lock");
  CHECK(t.events[4].object == "m1");
  CHECK(t.events[0].vt_ns == 10000);
  CHECK(t.events[9].op == "timed out");  // an earlier step than the last (3) is dropped
  CHECK(t.events[9].object == "c4");
  REQUIRE(t.notes.size() == 1);
  CHECK(t.notes[0].rfind("deadlock: T1 wants m2", 0) == 0);
}

TEST_CASE("the page has one lane per thread, the cycle's lanes marked, and lock spans and waits", "[timeline]") {
  auto page = timeline_html({"16-deadlock", "exercise", "explore", "opposite transfers", "crashed",
                             "explore: deadlock ... wait-for cycle: T1 wants m2 held by T2", kDeadlockTrace});
  CHECK(count(page, "<g class=\"lane") == 3);
  CHECK(page.find("data-thread=\"T0\"") != std::string::npos);
  CHECK(page.find(">T0 (main)</text>") != std::string::npos);
  CHECK(count(page, "<g class=\"lane in-cycle\"") == 2);
  CHECK(page.find("<g class=\"lane\" data-thread=\"T0\"") != std::string::npos);  // main is not in the cycle
  // T1 holds m1 from step 4 to the end and waits for m2 from step 6; T2 the mirror image.
  CHECK(page.find("T1 holds m1 (still, at the end)") != std::string::npos);
  CHECK(page.find("T1 waits for m2 (lock), held by T2 (still, at the end)") != std::string::npos);
  CHECK(page.find("T2 waits for m1 (lock), held by T1 (still, at the end)") != std::string::npos);
  CHECK(count(page, "class=\"failure-line\"") == 1);
  CHECK(page.find("The last 9 of 9 scheduling points") != std::string::npos);
  CHECK(page.find("0.090 ms") != std::string::npos);  // virtual time of the last event in the table
}

TEST_CASE("a condition-variable wait gives up its lock until woken; a notify is marked", "[timeline]") {
  auto page = timeline_html({"14-event", "exercise", "explore", "set wakes the waiter", "fail", "REQUIRE( woke )",
                             "0 10000 T1 lock m1\n1 20000 T1 wait c2\n2 30000 T2 lock m1\n3 40000 T2 signal c2\n"
                             "4 50000 T2 unlock m1\n5 60000 T1 woken c2\n6 70000 T1 unlock m1\n"});
  CHECK(count(page, "<rect class=\"held\"") == 3);  // T1 0-1, T2 2-4, T1 5-6
  CHECK(page.find("T1 waits on c2 (wait)</title>") != std::string::npos);
  CHECK(count(page, "class=\"ev ev-notify\"") == 1);
  CHECK(count(page, "class=\"ev ev-woken\"") == 1);
  CHECK(page.find("(still, at the end)") == std::string::npos);
}

TEST_CASE("the learner's text on the page is escaped and nothing on it runs", "[timeline]") {
  auto page = timeline_html({"20-thread-pool", "exercise", "explore", "<script>alert(1)</script> & \"q\" 'a'", "fail",
                             "REQUIRE( s == \"<script>alert(2)</script>\" ) <img src=x onerror=alert(3)>\x1b[31m",
                             kDeadlockTrace + "# exit(1) <script>alert(4)</script>\n"});
  CHECK(lower(page).find("<script") == std::string::npos);
  CHECK(lower(page).find("<img") == std::string::npos);
  CHECK(page.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;a&#39;") != std::string::npos);
  CHECK(page.find("REQUIRE( s == &quot;&lt;script&gt;alert(2)&lt;/script&gt;&quot; )") != std::string::npos);
  CHECK(page.find("&lt;script&gt;alert(4)") != std::string::npos);
  CHECK(page.find('\x1b') == std::string::npos);
  CHECK(page.find("Content-Security-Policy\" content=\"default-src 'none'") != std::string::npos);
}

TEST_CASE("the page keeps the events it is given and says how many there were in all", "[timeline]") {
  std::string trace;
  for (int i = 600; i < 1000; ++i) trace += std::to_string(i) + " " + std::to_string(i * 10000) + " T" + std::to_string(i % 3) + " yield\n";
  auto page = timeline_html({"15-barrier", "exercise", "explore", "t", "timeout", "timed out", trace});
  CHECK(page.find("The last 400 of 1000 scheduling points (steps 600 to 999") != std::string::npos);
  CHECK(page.find("the page keeps at most 400") != std::string::npos);
}

TEST_CASE("a failing test with a trace gets a page, linked from results.json and report.md", "[timeline][reports]") {
  auto r = learner_result("16-deadlock", Verdict::fail, "explore");
  r.title = "Transfers";
  r.max_points = 10;
  r.tests = {{"passes", TestStatus::pass, false, "", "", 0.1, kDeadlockTrace},
             {"deadlocks <b>", TestStatus::crashed, false, "explore: deadlock", "", 0.2, kDeadlockTrace},
             {"fails without events", TestStatus::fail, false, "REQUIRE( x )", "", 0.1, ""},
             {"hidden", TestStatus::crashed, true, "explore: deadlock", "", 0.1, kDeadlockTrace}};
  conceal(r.tests[3]);
  RunSummary run{{r}, 1.0, true};

  auto json = results_json(run);
  CHECK(count(json, "\"timeline\"") == 1);
  CHECK(json.find("\"timeline\":\"timeline/16-deadlock.exercise.2.html\"") != std::string::npos);
  auto md = markdown_report(run);
  CHECK(md.find("deadlocks \\<b\\> ([timeline](timeline/16-deadlock.exercise.2.html))") != std::string::npos);
  CHECK(count(md, "[timeline]") == 1);

  auto dir = fs::temp_directory_path() / ("grader-timeline-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "timeline");
  std::ofstream(dir / "timeline" / "stale.html") << "an earlier run's";
  REQUIRE(write_reports(dir, run).empty());
  CHECK_FALSE(fs::exists(dir / "timeline" / "stale.html"));
  auto page = read(dir / "timeline" / "16-deadlock.exercise.2.html");
  CHECK(page.find("deadlocks &lt;b&gt;") != std::string::npos);
  CHECK(std::distance(fs::directory_iterator(dir / "timeline"), fs::directory_iterator()) == 1);

  PosixProcessRunner runner;
  ProcessSpec spec;
  spec.argv = {"/usr/bin/python3", "-m", "jsonschema", "-i", (dir / "results.json").string(),
               std::string(GRADER_SOURCE_DIR) + "/docs/schemas/results.schema.json"};
  spec.timeout = std::chrono::seconds(60);
  auto v = runner.run(spec);
  INFO(v.output);
  CHECK(v.exited_ok());
  fs::remove_all(dir);
}

namespace {

// Runs `script` (sh) as a test binary with a trace asked for; its evidence.
CaseEvidence run_script(const std::string& script, bool record_trace, bool stacks = true) {
  auto dir = fs::temp_directory_path() / ("grader-trace-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto binary = dir / "test.sh";
  std::ofstream(binary) << "#!/bin/sh\n" << script;
  fs::permissions(binary, fs::perms::owner_all);
  PosixProcessRunner runner;
  TestJob job;
  job.binary = binary;
  job.test_name = "t";
  job.work_dir = dir / "run";
  job.timeout_s = 10;
  job.collect_stacks = stacks;
  job.record_trace = record_trace;
  auto evidence = run_jobs(runner, {job}, 1, [](const CaseEvidence&) { return true; });
  auto left = std::distance(fs::directory_iterator(job.work_dir), fs::directory_iterator());
  CHECK(left == 0);  // the trace file is removed
  fs::remove_all(dir);
  return evidence.at(0);
}

}  // namespace

TEST_CASE("the run stage keeps a trace's last 400 events and its notes, and no stacks request under it", "[timeline]") {
  auto e = run_script(
      "i=0; while [ $i -lt 1000 ]; do echo \"$i $((i * 10000)) T$((i % 3)) lock m1\"; i=$((i + 1)); done "
      ">\"$KATA_EXPLORE_TRACE\"\necho \"# stacks ${KATA_STACKS:-not asked}\" >>\"$KATA_EXPLORE_TRACE\"\nexit 1\n",
      true);
  auto trace = parse_trace(e.trace);
  REQUIRE(trace.events.size() == 400);
  CHECK(trace.events.front().step == 600);
  CHECK(trace.events.back().step == 999);
  REQUIRE(trace.notes.size() == 1);
  CHECK(trace.notes[0] == "stacks not asked");
}

TEST_CASE("the run stage asks for no trace unless told, and reads none through a link", "[timeline]") {
  auto none = run_script("echo \"0 1 T0 lock m1\" >\"${KATA_EXPLORE_TRACE:-/dev/null}\"; [ -n \"$KATA_STACKS\" ]\n", false);
  CHECK(none.trace.empty());
  CHECK(none.process.exited_ok());  // a test outside explore still may ask for stacks
  std::ofstream("/tmp/grader-trace-target") << "0 1 T0 lock m1\n";
  auto linked = run_script("ln -s /tmp/grader-trace-target \"$KATA_EXPLORE_TRACE\"\n", true);
  CHECK(linked.trace.empty());
  fs::remove("/tmp/grader-trace-target");
}
