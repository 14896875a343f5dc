#include "select/catalog.hpp"

#include "pipeline/profile.hpp"
#include "text_file.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>

namespace grader {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// Small helpers that name the missing or mistyped key in their error.
struct Reader {
  const json::object& obj;
  std::string& why;

  const json::value* need(const char* key) {
    auto* v = obj.if_contains(key);
    if (!v) why = std::string("missing key \"") + key + "\"";
    return v;
  }
  bool string(const char* key, std::string& out) {
    auto* v = need(key);
    if (!v) return false;
    if (!v->is_string()) return fail(key, "a string");
    out = std::string(v->as_string());
    return true;
  }
  bool strings(const char* key, std::vector<std::string>& out, bool required = true) {
    auto* v = obj.if_contains(key);
    if (!v) {
      if (required) why = std::string("missing key \"") + key + "\"";
      return !required;
    }
    if (!v->is_array()) return fail(key, "an array of strings");
    for (const auto& item : v->as_array()) {
      if (!item.is_string()) return fail(key, "an array of strings");
      out.emplace_back(item.as_string());
    }
    return true;
  }
  bool fail(const char* key, const char* type) {
    why = std::string("\"") + key + "\" must be " + type;
    return false;
  }
};

}  // namespace

bool parse_exercise(const std::string& text, const std::string& slug, Exercise& ex, std::string& why) {
  json::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) {
    why = "not valid JSON: " + ec.message();
    return false;
  }
  if (!root.is_object()) {
    why = "the top level must be an object";
    return false;
  }
  const auto& obj = root.as_object();
  Reader r{obj, why};

  auto* version = r.need("schema_version");
  if (!version) return false;
  if (!version->is_int64() || version->as_int64() != 1) {
    why = "schema_version must be 1 (this grader reads version 1)";
    return false;
  }
  ex.slug = slug;
  if (!r.string("title", ex.title) || !r.string("module", ex.module) || !r.string("blurb", ex.blurb)) return false;

  auto* question = r.need("question");
  if (!question) return false;
  if (!question->is_object()) return r.fail("question", "an object with \"ru\" and \"en\"");
  Reader q{question->as_object(), why};
  if (!q.string("ru", ex.question_ru) || !q.string("en", ex.question_en)) return false;

  if (!r.strings("files", ex.files)) return false;
  if (ex.files.empty()) return r.fail("files", "a non-empty array");
  if (!r.strings("given", ex.given, false)) return false;

  auto* points = r.need("points");
  if (!points) return false;
  if (!points->is_int64() || points->as_int64() < 0) return r.fail("points", "a whole number >= 0");
  ex.points = static_cast<int>(points->as_int64());

  auto* timeout = r.need("timeout_s");
  if (!timeout) return false;
  if (!timeout->is_number() || timeout->to_number<double>() <= 0) return r.fail("timeout_s", "a number > 0");
  ex.timeout_s = timeout->to_number<double>();

  auto* profiles = r.need("profiles");
  if (!profiles) return false;
  if (!profiles->is_object()) return r.fail("profiles", "an object");
  for (const auto& [name, options] : profiles->as_object()) {
    std::string profile(name);
    if (!find_profile(profile)) {
      why = "unknown profile \"" + profile + "\" (known: " + profile_names() + ")";
      return false;
    }
    if (!options.is_object()) return r.fail("profiles", "an object of objects");
    std::string opts;
    if (auto* o = options.as_object().if_contains("options")) {
      if (!o->is_string()) return r.fail("options", "a string");
      opts = std::string(o->as_string());
    }
    ex.profiles[profile] = opts;
    int schedules = 0;
    double budget_s = 0;
    if (auto* k = options.as_object().if_contains("schedules")) {
      if (!k->is_int64() || k->as_int64() < 1 || k->as_int64() > 1000) return r.fail("schedules", "an integer from 1 to 1000");
      schedules = static_cast<int>(k->as_int64());
    }
    if (auto* b = options.as_object().if_contains("budget_s")) {
      if (!b->is_number() || b->to_number<double>() <= 0) return r.fail("budget_s", "a number > 0");
      budget_s = b->to_number<double>();
    }
    if (schedules || budget_s) ex.schedules[profile] = {schedules, budget_s};
  }
  if (!ex.profiles.count(std::string(default_profile().name))) {
    why = "profiles must include \"" + std::string(default_profile().name) + "\"";
    return false;
  }

  if (!r.strings("hints", ex.hints)) return false;

  if (auto* forbidden = obj.if_contains("forbidden")) {
    if (!forbidden->is_array()) return r.fail("forbidden", "an array of {symbol, hint}");
    for (const auto& item : forbidden->as_array()) {
      if (!item.is_object()) return r.fail("forbidden", "an array of {symbol, hint}");
      Reader f{item.as_object(), why};
      Exercise::Forbidden entry;
      if (!f.string("symbol", entry.symbol) || !f.string("hint", entry.hint)) return false;
      ex.forbidden.push_back(entry);
    }
  }
  return true;
}

Catalog load_catalog(const fs::path& exercises_dir) {
  Catalog catalog;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(exercises_dir, ec)) {
    if (!entry.is_directory()) continue;
    auto meta = entry.path() / "kata.json";
    if (!fs::exists(meta)) continue;
    Exercise ex;
    std::string why;
    auto slug = entry.path().filename().string();
    if (parse_exercise(read_text_file(meta), slug, ex, why))
      catalog.exercises.push_back(std::move(ex));
    else
      catalog.problems.push_back("exercises/" + slug + "/kata.json: " + why);
  }
  if (ec) catalog.problems.push_back(exercises_dir.string() + ": " + ec.message());
  std::sort(catalog.exercises.begin(), catalog.exercises.end(),
            [](const Exercise& a, const Exercise& b) { return a.slug < b.slug; });
  return catalog;
}

std::vector<Mutant> load_mutants(const fs::path& tests_dir, const std::string& slug,
                                 std::vector<std::string>& problems) {
  std::vector<Mutant> mutants;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(tests_dir / slug / "mutants", ec)) {
    if (!entry.is_directory()) continue;
    Mutant m{entry.path().filename().string(), "", ""};
    auto where = "tests/" + slug + "/mutants/" + m.name + "/mutant.json";
    json::error_code jec;
    auto value = json::parse(read_text_file(entry.path() / "mutant.json"), jec);
    if (jec || !value.is_object()) {
      problems.push_back(where + ": missing or not a JSON object");
      continue;
    }
    std::string why;
    Reader r{value.as_object(), why};
    if (!r.string("profile", m.profile) || !r.string("catches", m.catches)) {
      problems.push_back(where + ": " + why);
      continue;
    }
    // The bug itself is a patch against the solution (docs/exercise-format.md).
    if (!fs::exists(entry.path() / "mutant.patch")) {
      problems.push_back("tests/" + slug + "/mutants/" + m.name + "/mutant.patch is missing");
      continue;
    }
    mutants.push_back(m);
  }
  std::sort(mutants.begin(), mutants.end(), [](const Mutant& a, const Mutant& b) { return a.name < b.name; });
  return mutants;
}

}  // namespace grader
