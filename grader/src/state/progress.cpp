#include "state/progress.hpp"

#include <fstream>
#include <sstream>

#include <boost/json.hpp>

namespace grader {
namespace json = boost::json;

Progress Progress::load(const std::filesystem::path& path) {
  Progress p;
  p.path_ = path;
  std::ifstream in(path);
  if (!in) return p;
  std::stringstream text;
  text << in.rdbuf();
  json::error_code ec;
  auto root = json::parse(text.str(), ec);
  if (ec || !root.is_object()) return p;
  auto* exercises = root.as_object().if_contains("exercises");
  if (!exercises || !exercises->is_object()) return p;
  for (const auto& [slug, value] : exercises->as_object()) {
    if (!value.is_object()) continue;
    const auto& o = value.as_object();
    ExerciseProgress e;
    if (auto* v = o.if_contains("done"); v && v->is_bool()) e.done = v->as_bool();
    if (auto* v = o.if_contains("attempted"); v && v->is_bool()) e.attempted = v->as_bool();
    if (auto* v = o.if_contains("hints_shown"); v && v->is_int64()) e.hints_shown = static_cast<int>(v->as_int64());
    p.exercises_[std::string(slug)] = e;
  }
  return p;
}

bool Progress::save() const {
  json::object exercises;
  for (const auto& [slug, e] : exercises_)
    exercises[slug] = json::object{{"done", e.done}, {"attempted", e.attempted}, {"hints_shown", e.hints_shown}};
  json::object root{{"schema_version", 1}, {"exercises", std::move(exercises)}};
  std::error_code ec;
  std::filesystem::create_directories(path_.parent_path(), ec);
  auto temporary = path_;
  temporary += ".tmp";
  {
    std::ofstream out(temporary);
    if (!out) return false;
    out << json::serialize(root) << "\n";
  }
  std::filesystem::rename(temporary, path_, ec);
  return !ec;
}

}  // namespace grader
