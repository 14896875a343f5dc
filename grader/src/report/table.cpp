#include "report/table.hpp"

#include <fmt/format.h>

#include "pipeline/profile.hpp"
#include "report/clean_text.hpp"

namespace grader {
namespace {

std::string indent(const std::string& text, const std::string& pad) {
  std::string out = pad;
  for (char c : text) {
    out += c;
    if (c == '\n') out += pad;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
  return out;
}

// Characters of a failing test's output the terminal shows.
constexpr std::size_t kOutputSlice = 1200;

}  // namespace

std::string colored_verdict(const Style& style, Verdict v, int width) {
  auto text = fmt::format("{:<{}}", to_string(v), width);
  return v == Verdict::pass ? style.green(text) : style.red(text);
}

void print_table(std::ostream& out, const std::vector<ExerciseResult>& results, const Style& style) {
  out << fmt::format("{:<28} {:<22} {:>7}  {:<12} {:>7}\n", "exercise", "implementation", "tests", "verdict", "time");
  for (const auto& r : results) {
    auto tests = r.tests.empty() ? std::string("-") : fmt::format("{}/{}", r.passed(), r.tests.size());
    auto impl = r.profile == default_profile().name ? r.implementation : r.implementation + " (" + r.profile + ")";
    out << fmt::format("{:<28} {:<22} {:>7}  {} {:>6.1f}s\n", r.slug, impl, tests, colored_verdict(style, r.verdict, 12),
                       r.seconds);
  }
}

void print_failures(std::ostream& out, const std::vector<ExerciseResult>& results, int max_tests, const Style& style) {
  for (const auto& r : results) {
    if (r.verdict == Verdict::pass) continue;
    out << "\n" << style.bold(r.slug) << " (" << r.implementation << ", " << r.profile << "): " << style.red(to_string(r.verdict));
    if (!r.tests.empty()) out << fmt::format(", {} of {} tests passed", r.passed(), r.tests.size());
    out << "\n";
    // A learner's program wrote these: cleaned, so no escape sequence reaches the terminal.
    if (!r.message.empty()) out << indent(clean_text(r.message), "  ") << "\n";
    int shown = 0;
    for (const auto& t : r.tests) {
      if (t.status == TestStatus::pass || t.status == TestStatus::skipped) continue;
      out << "  " << style.red(fmt::format("{:<9}", to_string(t.status))) << " " << clean_text(t.name) << "\n";
      // The first failures in full; every other one on a line of its own.
      if (shown++ >= max_tests) continue;
      if (!t.message.empty()) out << indent(clean_text(t.message), "            ") << "\n";
      if (t.status == TestStatus::fail && !t.output.empty())
        out << "            output:\n" << indent(clean_text(t.output, kOutputSlice), "              ") << "\n";
    }
  }
}

void print_coverage(std::ostream& out, const std::vector<ExerciseResult>& results) {
  for (const auto& r : results) {
    if (!r.coverage.measured) continue;
    out << fmt::format("coverage of {} ({}): {:.1f}% of {} lines, {:.1f}% of {} branches\n", r.slug, r.implementation,
                       r.coverage.line_percent(), r.coverage.lines_total, r.coverage.branch_percent(),
                       r.coverage.branches_total);
    if (!r.coverage.html.empty()) out << "  report: " << r.coverage.html << "\n";
  }
}

void print_score(std::ostream& out, const std::vector<ExerciseResult>& results) {
  int points = 0, max_points = 0, passing = 0;
  for (const auto& r : results) {
    points += r.points;
    max_points += r.max_points;
    passing += r.verdict == Verdict::pass;
  }
  out << fmt::format("\nscore: {} of {} points; {} of {} exercise{} pass\n", points, max_points, passing,
                     results.size(), results.size() == 1 ? "" : "s");
}

}  // namespace grader
