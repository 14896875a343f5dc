#include "report/results_json.hpp"

#include <fstream>

#include <boost/json.hpp>

namespace grader {
namespace json = boost::json;

std::string results_json(const std::vector<ExerciseResult>& results, double seconds) {
  json::array exercises;
  int points = 0, max_points = 0;
  bool all_pass = true;
  for (const auto& r : results) {
    json::array tests;
    for (const auto& t : r.tests)
      tests.push_back(json::object{{"name", t.name}, {"status", to_string(t.status)}, {"message", t.message},
                                   {"output", t.output}, {"duration_s", t.seconds}});
    exercises.push_back(json::object{{"slug", r.slug},
                                     {"implementation", r.implementation},
                                     {"profile", r.profile},
                                     {"status", to_string(r.verdict)},
                                     {"message", r.message},
                                     {"score", r.points},
                                     {"max_score", r.max_points},
                                     {"duration_s", r.seconds},
                                     {"tests", std::move(tests)}});
    points += r.points;
    max_points += r.max_points;
    all_pass = all_pass && r.verdict == Verdict::pass;
  }
  // No results at all means grading has not finished (or crashed): an error.
  const char* status = results.empty() ? "error" : all_pass ? "pass" : "fail";
  json::object root{{"schema_version", 1},
                    {"status", status},
                    {"score", points},
                    {"max_score", max_points},
                    {"duration_s", seconds},
                    {"exercises", std::move(exercises)}};
  return json::serialize(root);
}

bool write_results_json(const std::filesystem::path& path, const std::vector<ExerciseResult>& results, double seconds) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  auto temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary);
    if (!out) return false;
    out << results_json(results, seconds) << "\n";
    if (!out) return false;
  }
  std::filesystem::rename(temporary, path, ec);
  return !ec;
}

}  // namespace grader
