#include "report/table.hpp"

#include <fmt/format.h>

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

std::string output_slice(const std::string& output, std::size_t max = 1200) {
  if (output.size() <= max) return output;
  return output.substr(0, max / 2) + "\n[...]\n" + output.substr(output.size() - max / 2);
}

}  // namespace

void print_table(std::ostream& out, const std::vector<ExerciseResult>& results) {
  out << fmt::format("{:<28} {:<22} {:>7}  {:<12} {:>7}\n", "exercise", "implementation", "tests", "verdict", "time");
  for (const auto& r : results) {
    auto tests = r.tests.empty() ? std::string("-") : fmt::format("{}/{}", r.passed(), r.tests.size());
    auto impl = r.profile == "plain" ? r.implementation : r.implementation + " (" + r.profile + ")";
    out << fmt::format("{:<28} {:<22} {:>7}  {:<12} {:>6.1f}s\n", r.slug, impl, tests, to_string(r.verdict), r.seconds);
  }
}

void print_failures(std::ostream& out, const std::vector<ExerciseResult>& results, int max_tests) {
  for (const auto& r : results) {
    if (r.verdict == Verdict::pass) continue;
    out << "\n" << r.slug << " (" << r.implementation << ", " << r.profile << "): " << to_string(r.verdict);
    if (!r.tests.empty()) out << fmt::format(", {} of {} tests passed", r.passed(), r.tests.size());
    out << "\n";
    if (!r.message.empty()) out << indent(r.message, "  ") << "\n";
    int shown = 0;
    for (const auto& t : r.tests) {
      if (t.status == TestStatus::pass || t.status == TestStatus::skipped) continue;
      if (shown++ == max_tests) {
        out << "  ... and more failing tests\n";
        break;
      }
      out << fmt::format("  {:<9} {}\n", to_string(t.status), t.name);
      if (!t.message.empty()) out << indent(t.message, "            ") << "\n";
      if (t.status == TestStatus::fail && !t.output.empty())
        out << "            output:\n" << indent(output_slice(t.output), "              ") << "\n";
    }
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
