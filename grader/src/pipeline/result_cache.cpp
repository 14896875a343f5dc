#include "pipeline/result_cache.hpp"

#include <fstream>
#include <functional>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "text_file.hpp"

namespace grader {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

template <class E>
std::optional<E> enum_from(const std::string& text, std::initializer_list<E> values) {
  for (auto v : values)
    if (text == to_string(v)) return v;
  return std::nullopt;
}

}  // namespace

std::string result_to_json(const ExerciseResult& r) {
  json::array tests;
  for (const auto& t : r.tests)
    tests.push_back(json::object{{"name", t.name}, {"status", to_string(t.status)}, {"hidden", t.hidden},
                                 {"message", t.message}, {"output", t.output}, {"seconds", t.seconds},
                                 {"trace", t.trace}});
  const auto& c = r.coverage;
  json::object coverage{{"measured", c.measured},         {"lines_hit", c.lines_hit},
                        {"lines_total", c.lines_total},   {"branches_hit", c.branches_hit},
                        {"branches_total", c.branches_total}, {"html", c.html},
                        {"uncovered", c.uncovered}};
  json::object o{{"slug", r.slug},       {"title", r.title},           {"implementation", r.implementation},
                 {"profile", r.profile}, {"verdict", to_string(r.verdict)}, {"message", r.message},
                 {"tests", tests},       {"points", r.points},         {"max_points", r.max_points},
                 {"seconds", r.seconds}, {"coverage", coverage}};
  return json::serialize(o);
}

std::optional<ExerciseResult> result_from_json(const std::string& text) {
  try {
    auto o = json::parse(text).as_object();
    auto str = [](const json::object& from, const char* key) { return std::string(from.at(key).as_string()); };
    ExerciseResult r;
    r.slug = str(o, "slug");
    r.title = str(o, "title");
    r.implementation = str(o, "implementation");
    r.profile = str(o, "profile");
    auto verdict = enum_from(str(o, "verdict"), {Verdict::pass, Verdict::fail, Verdict::build_error,
                                                 Verdict::forbidden, Verdict::no_tests, Verdict::error});
    if (!verdict) return std::nullopt;
    r.verdict = *verdict;
    r.message = str(o, "message");
    for (const auto& item : o.at("tests").as_array()) {
      const auto& t = item.as_object();
      auto status = enum_from(str(t, "status"), {TestStatus::pass, TestStatus::fail, TestStatus::error,
                                                 TestStatus::timeout, TestStatus::crashed, TestStatus::sanitizer,
                                                 TestStatus::skipped});
      if (!status) return std::nullopt;
      r.tests.push_back({str(t, "name"), *status, t.at("hidden").as_bool(), str(t, "message"), str(t, "output"),
                         t.at("seconds").to_number<double>(), t.contains("trace") ? str(t, "trace") : ""});
    }
    r.points = static_cast<int>(o.at("points").to_number<int>());
    r.max_points = static_cast<int>(o.at("max_points").to_number<int>());
    r.seconds = o.at("seconds").to_number<double>();
    const auto& c = o.at("coverage").as_object();
    r.coverage.measured = c.at("measured").as_bool();
    r.coverage.lines_hit = c.at("lines_hit").to_number<int>();
    r.coverage.lines_total = c.at("lines_total").to_number<int>();
    r.coverage.branches_hit = c.at("branches_hit").to_number<int>();
    r.coverage.branches_total = c.at("branches_total").to_number<int>();
    r.coverage.html = str(c, "html");
    r.coverage.uncovered = str(c, "uncovered");
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string ResultCache::file_stamp(const fs::path& file) {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return "";
  auto time = fs::last_write_time(file, ec);
  if (ec) return "";
  return fmt::format("{}:{}", size, time.time_since_epoch().count());
}

fs::path ResultCache::path_of(const std::string& key) const {
  return dir_ / fmt::format("{:016x}.json", std::hash<std::string>{}(key));
}

std::optional<ExerciseResult> ResultCache::find(const std::string& key) const {
  auto path = path_of(key);
  if (!fs::exists(path)) return std::nullopt;
  auto text = read_text_file(path);
  // The key is stored on the first line: a hash collision is a miss, not a wrong result.
  auto eol = text.find('\n');
  if (eol == std::string::npos || text.compare(0, eol, key) != 0) return std::nullopt;
  return result_from_json(text.substr(eol + 1));
}

void ResultCache::store(const std::string& key, const ExerciseResult& result) const {
  if (key.find('\n') != std::string::npos) return;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  auto path = path_of(key);
  auto temporary = path.string() + "." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary);
    out << key << "\n" << result_to_json(result);
    if (!out) return;
  }
  fs::rename(temporary, path, ec);
}

}  // namespace grader
