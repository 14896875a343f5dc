#include "report/formats.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <pugixml.hpp>

#include "report/clean_text.hpp"
#include "report/timeline_html.hpp"

namespace grader {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// Characters of one test's output or message in results.json, junit.xml and
// gradescope.json; Exercism allows 500 of output (its interface, version 3).
constexpr std::size_t kOutputCap = 16 * 1024;
constexpr std::size_t kExercismOutputCap = 500;
// GitHub refuses a comment longer than this.
constexpr std::size_t kMarkdownCap = 65536;
constexpr std::string_view kMarkdownCut = "\n(more failures than a comment holds: see results.json)\n";

// A run without a score (interrupted, or nothing selected) says so as an error.
struct NoScore {
  const char* headline;
  const char* why;
};

std::optional<NoScore> no_score(const RunSummary& run) {
  if (!run.finished) return NoScore{"grading did not finish", "The grader stopped before it had a verdict."};
  if (run.results.empty()) return NoScore{"nothing was graded", "No exercise was selected."};
  return std::nullopt;
}

const char* run_status(const RunSummary& run) {
  if (no_score(run)) return "error";
  for (const auto& r : run.results)
    if (r.verdict != Verdict::pass) return "fail";
  return "pass";
}

int total_points(const RunSummary& run, bool max) {
  int sum = 0;
  for (const auto& r : run.results) sum += max ? r.max_points : r.points;
  return sum;
}

// Every line of `text` indented by `pad` (code blocks inside list items).
std::string indented(const std::string& text, const std::string& pad) {
  std::string out = pad;
  for (char c : text) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}

// A Markdown code fence longer than any run of backticks in `text`, so the
// text cannot close it and write Markdown of its own.
std::string fence_for(const std::string& text) {
  std::size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return std::string(std::max<std::size_t>(3, longest + 1), '`');
}

std::string fenced(const std::string& text, const std::string& pad) {
  auto fence = fence_for(text);
  return pad + fence + "\n" + indented(text, pad) + "\n" + pad + fence + "\n";
}

// One line of Markdown text that renders as written (no emphasis, links or HTML).
std::string markdown_inline(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') c = ' ';
    if (std::string_view("\\`*_[]<>#|~&!").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string seconds3(double s) { return fmt::format("{:.3f}", s); }

json::value coverage_json(const Coverage& c) {
  if (!c.measured) return nullptr;
  return json::object{{"lines_percent", std::round(c.line_percent() * 10) / 10},
                      {"lines_hit", c.lines_hit},
                      {"lines_total", c.lines_total},
                      {"branches_percent", std::round(c.branch_percent() * 10) / 10},
                      {"branches_hit", c.branches_hit},
                      {"branches_total", c.branches_total},
                      {"html", c.html}};
}

bool write_atomically(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  auto temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary);
    if (!out) return false;
    out << text;
    if (!out) return false;
  }
  fs::rename(temporary, path, ec);
  return !ec;
}

}  // namespace

std::string results_json(const RunSummary& run) {
  json::array exercises;
  for (const auto& r : run.results) {
    json::array tests;
    for (std::size_t i = 0; i < r.tests.size(); ++i) {
      const auto& t = r.tests[i];
      json::object test{{"name", clean_text(t.name)},
                        {"status", to_string(t.status)},
                        {"message", clean_text(t.message, kOutputCap)},
                        {"output", clean_text(t.output, kOutputCap)},
                        {"duration_s", std::round(t.seconds * 1000) / 1000},
                        {"visibility", t.hidden ? "hidden" : "visible"}};
      if (has_timeline(t)) test["timeline"] = timeline_file(r, i);
      tests.push_back(std::move(test));
    }
    exercises.push_back(json::object{{"slug", r.slug},
                                     {"title", clean_text(r.title)},
                                     {"implementation", r.implementation},
                                     {"profile", r.profile},
                                     {"status", to_string(r.verdict)},
                                     {"message", clean_text(r.message, kOutputCap)},
                                     {"score", r.points},
                                     {"max_score", r.max_points},
                                     {"duration_s", std::round(r.seconds * 1000) / 1000},
                                     {"coverage", coverage_json(r.coverage)},
                                     {"tests", std::move(tests)}});
  }
  json::object root{{"schema_version", 1},
                    {"status", run_status(run)},
                    {"score", total_points(run, false)},
                    {"max_score", total_points(run, true)},
                    {"duration_s", std::round(run.seconds * 1000) / 1000},
                    {"exercises", std::move(exercises)}};
  return json::serialize(root) + "\n";
}

std::string junit_xml(const RunSummary& run) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto suites = doc.append_child("testsuites");
  suites.append_attribute("name") = "concurrency-kata";
  int all_tests = 0, all_failures = 0, all_errors = 0;
  if (auto none = no_score(run)) {
    // One errored test case, so a CI system marks the run failed.
    auto suite = suites.append_child("testsuite");
    suite.append_attribute("name") = "concurrency-kata";
    suite.append_attribute("tests") = 1;
    suite.append_attribute("failures") = 0;
    suite.append_attribute("errors") = 1;
    suite.append_attribute("skipped") = 0;
    suite.append_attribute("time") = seconds3(run.seconds).c_str();
    auto tc = suite.append_child("testcase");
    tc.append_attribute("name") = "grading";
    tc.append_attribute("classname") = "concurrency-kata";
    tc.append_attribute("time") = seconds3(run.seconds).c_str();
    auto e = tc.append_child("error");
    e.append_attribute("type") = "error";
    e.append_attribute("message") = none->headline;
    e.text().set(none->why);
    all_tests = all_errors = 1;
  }
  for (const auto& r : run.results) {
    auto suite = suites.append_child("testsuite");
    int tests = 0, failures = 0, errors = 0, skipped = 0;
    suite.append_attribute("name") = r.slug.c_str();
    // Properties live at suite level only (junit-10.xsd has none per testcase).
    auto props = suite.append_child("properties");
    auto property = [&](const char* name, const std::string& value) {
      auto p = props.append_child("property");
      p.append_attribute("name") = name;
      p.append_attribute("value") = value.c_str();
    };
    property("implementation", r.implementation);
    property("profile", r.profile);
    property("verdict", to_string(r.verdict));
    property("score", fmt::format("{}/{}", r.points, r.max_points));
    if (r.coverage.measured) {
      property("coverage.lines", fmt::format("{:.1f}", r.coverage.line_percent()));
      property("coverage.branches", fmt::format("{:.1f}", r.coverage.branch_percent()));
    }
    if (r.tests.empty() && r.verdict != Verdict::pass) {
      // A build error (or forbidden symbol) is one errored test case.
      auto tc = suite.append_child("testcase");
      tc.append_attribute("name") = to_string(r.verdict);
      tc.append_attribute("classname") = r.slug.c_str();
      tc.append_attribute("time") = "0.000";
      auto e = tc.append_child("error");
      e.append_attribute("type") = to_string(r.verdict);
      auto message = clean_text(r.message, kOutputCap);
      e.append_attribute("message") = message.substr(0, message.find('\n')).c_str();
      e.text().set(message.c_str());
      ++tests;
      ++errors;
    }
    for (const auto& t : r.tests) {
      auto tc = suite.append_child("testcase");
      tc.append_attribute("name") = clean_text(t.name).c_str();
      tc.append_attribute("classname") = r.slug.c_str();
      tc.append_attribute("time") = seconds3(t.seconds).c_str();
      ++tests;
      auto message = clean_text(t.message, kOutputCap);
      auto first_line = message.substr(0, message.find('\n'));
      if (t.status == TestStatus::fail || t.status == TestStatus::sanitizer) {
        auto f = tc.append_child("failure");
        f.append_attribute("type") = to_string(t.status);
        f.append_attribute("message") = first_line.c_str();
        f.text().set(message.c_str());
        ++failures;
      } else if (t.status == TestStatus::skipped) {
        tc.append_child("skipped").append_attribute("message") = first_line.c_str();
        ++skipped;
      } else if (t.status != TestStatus::pass) {
        auto e = tc.append_child("error");
        e.append_attribute("type") = to_string(t.status);
        e.append_attribute("message") = first_line.c_str();
        e.text().set(message.c_str());
        ++errors;
      }
      if (!t.output.empty()) tc.append_child("system-out").text().set(clean_text(t.output, kOutputCap).c_str());
    }
    suite.append_attribute("tests") = tests;
    suite.append_attribute("failures") = failures;
    suite.append_attribute("errors") = errors;
    suite.append_attribute("skipped") = skipped;
    suite.append_attribute("time") = seconds3(r.seconds).c_str();
    all_tests += tests;
    all_failures += failures;
    all_errors += errors;
  }
  suites.append_attribute("tests") = all_tests;
  suites.append_attribute("failures") = all_failures;
  suites.append_attribute("errors") = all_errors;
  suites.append_attribute("time") = seconds3(run.seconds).c_str();
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

std::string markdown_report(const RunSummary& run) {
  std::string md = std::string(kMarkdownMarker) + "\n";
  if (auto none = no_score(run)) return md + fmt::format("## concurrency-kata: {}\n\n{}\n", none->headline, none->why);
  int passing = 0;
  for (const auto& r : run.results) passing += r.verdict == Verdict::pass;
  md += fmt::format("## concurrency-kata: {} of {} points ({} of {} exercise{} pass)\n\n", total_points(run, false),
                    total_points(run, true), passing, run.results.size(), run.results.size() == 1 ? "" : "s");
  md += "| exercise | verdict | tests | coverage | time |\n|---|---|---|---|---|\n";
  for (const auto& r : run.results) {
    auto tests = r.tests.empty() ? std::string("-") : fmt::format("{}/{}", r.passed(), r.tests.size());
    auto coverage = r.coverage.measured ? fmt::format("{:.0f}% lines", r.coverage.line_percent()) : std::string("-");
    md += fmt::format("| {} | {} {} | {} | {} | {:.1f} s |\n", r.slug, r.verdict == Verdict::pass ? "✅" : "❌",
                      to_string(r.verdict), tests, coverage, r.seconds);
  }
  for (const auto& r : run.results) {
    if (r.verdict == Verdict::pass) continue;
    int failing = static_cast<int>(std::count_if(r.tests.begin(), r.tests.end(), [](const TestResult& t) {
      return t.status != TestStatus::pass && t.status != TestStatus::skipped;
    }));
    auto details = fmt::format("\n<details><summary>{}: {}</summary>\n\n", r.slug,
                               r.tests.empty() ? std::string(to_string(r.verdict))
                                               : fmt::format("{} failing test{}", failing, failing == 1 ? "" : "s"));
    if (!r.message.empty()) details += fenced(clean_text(r.message, 4000), "") + "\n";
    for (std::size_t i = 0; i < r.tests.size(); ++i) {
      const auto& t = r.tests[i];
      if (t.status == TestStatus::pass || t.status == TestStatus::skipped) continue;
      details += fmt::format("- **{}** {}{}\n", to_string(t.status), markdown_inline(clean_text(t.name)),
                             has_timeline(t) ? " ([timeline](" + timeline_file(r, i) + "))" : std::string());
      if (!t.message.empty()) details += fenced(clean_text(t.message, 2000), "  ");
    }
    details += "\n</details>\n";
    if (char_count(md) + char_count(details) + kMarkdownCut.size() > kMarkdownCap) {
      md += kMarkdownCut;
      break;
    }
    md += details;
  }
  return md;
}

std::string gradescope_json(const RunSummary& run) {
  // One Gradescope test per exercise: points are all or nothing.
  json::array tests;
  for (const auto& r : run.results) {
    std::string output = to_string(r.verdict);
    if (!r.message.empty()) output += ": " + r.message;
    for (const auto& t : r.tests)
      if (t.status != TestStatus::pass && t.status != TestStatus::skipped)
        output += fmt::format("\n{}: {}\n{}", to_string(t.status), t.name, t.message);
    tests.push_back(json::object{{"name", r.slug + ": " + clean_text(r.title)},
                                 {"score", r.points},
                                 {"max_score", r.max_points},
                                 {"status", r.verdict == Verdict::pass ? "passed" : "failed"},
                                 {"output", clean_text(output, kOutputCap)},
                                 {"visibility", "visible"}});
  }
  auto none = no_score(run);
  auto output = none ? fmt::format("error: {}. {}", none->headline, none->why)
                     : fmt::format("{} of {} points", total_points(run, false), total_points(run, true));
  // Gradescope's format has no status: the output says error and the score is 0.
  json::object root{{"score", none ? 0 : total_points(run, false)},
                    {"execution_time", static_cast<std::int64_t>(run.seconds + 0.5)},
                    {"output", output},
                    {"visibility", "visible"},
                    {"stdout_visibility", "hidden"},
                    {"tests", std::move(tests)}};
  return json::serialize(root) + "\n";
}

std::string exercism_json(const ExerciseResult& r) {
  // Exercism's interface: status pass / fail / error; "error" when the tests
  // could not run (a build error), with the reason in the top-level message.
  bool ran = !r.tests.empty();
  json::object root{{"version", 3}, {"status", r.verdict == Verdict::pass ? "pass" : ran ? "fail" : "error"}};
  if (!ran) root["message"] = clean_text(r.message.empty() ? to_string(r.verdict) : r.message, kOutputCap);
  json::array tests;
  for (const auto& t : r.tests) {
    json::object test{{"name", clean_text(t.name)},
                      {"status", t.status == TestStatus::pass ? "pass"
                                 : t.status == TestStatus::fail || t.status == TestStatus::sanitizer ? "fail"
                                                                                                     : "error"}};
    if (t.status != TestStatus::pass) test["message"] = clean_text(t.message, kOutputCap);
    if (!t.output.empty()) test["output"] = clean_text(t.output, kExercismOutputCap);
    tests.push_back(std::move(test));
  }
  root["tests"] = std::move(tests);
  return json::serialize(root) + "\n";
}

std::vector<std::string> write_reports(const fs::path& dir, const RunSummary& run) {
  std::vector<std::string> failed;
  auto write = [&](const fs::path& p, const std::string& text) {
    if (!write_atomically(p, text)) failed.push_back(p.string());
  };
  write(dir / "results.json", results_json(run));
  write(dir / "junit.xml", junit_xml(run));
  write(dir / "report.md", markdown_report(run));
  write(dir / "gradescope.json", gradescope_json(run));
  // An unfinished run leaves no per-exercise verdict of an earlier run behind.
  if (!run.finished) {
    std::error_code ec;
    fs::remove_all(dir / "exercism", ec);
  }
  for (const auto& r : run.results) write(dir / "exercism" / (r.slug + ".json"), exercism_json(r));
  // A failure's timeline page (explore), none of an earlier run.
  std::error_code ec;
  fs::remove_all(dir / "timeline", ec);
  for (const auto& r : run.results)
    for (std::size_t i = 0; i < r.tests.size(); ++i) {
      const auto& t = r.tests[i];
      if (!has_timeline(t)) continue;
      write(dir / timeline_file(r, i), timeline_html({r.slug, r.implementation, r.profile, t.name, to_string(t.status),
                                                      t.message + (t.output.empty() ? "" : "\n\noutput:\n" + t.output), t.trace}));
    }
  return failed;
}

}  // namespace grader
