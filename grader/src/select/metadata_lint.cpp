// select: what the self-check finds wrong in an exercise before building it.
#include "select/metadata_lint.hpp"

#include "text_file.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "pipeline/profile.hpp"
#include "select/requirements.hpp"

namespace grader {
namespace fs = std::filesystem;

namespace {

std::string proven_profile_names() {
  std::string names;
  for (const auto& p : all_profiles())
    if (p.proven_by_selfcheck) names += (names.empty() ? "" : ", ") + std::string(p.name);
  return names;
}

}  // namespace

bool is_learner_copy(const Paths& paths) { return !fs::exists(paths.root / "solutions"); }

std::vector<std::string> metadata_problems(const Paths& paths, const Exercise& ex, const std::vector<Mutant>& mutants) {
  std::vector<std::string> problems;
  const bool full = !is_learner_copy(paths);
  for (const auto& f : ex.files) {
    if (!fs::exists(paths.exercises / ex.slug / f)) problems.push_back("exercises/" + ex.slug + "/" + f + " is missing");
    if (full && !fs::exists(paths.root / "solutions" / ex.slug / f))
      problems.push_back("solutions/" + ex.slug + "/" + f + " is missing");
  }
  for (const auto& f : ex.given) {
    if (std::find(ex.files.begin(), ex.files.end(), f) != ex.files.end())
      problems.push_back(f + " is in both \"files\" and \"given\" of exercises/" + ex.slug + "/kata.json");
    if (!fs::exists(paths.exercises / ex.slug / f)) problems.push_back("exercises/" + ex.slug + "/" + f + " is missing");
    // Every file keeps its twin in solutions/; a given file's twin is the
    // same bytes (the builds take the exercise's copy, so a twin that drifted
    // would say one thing and build another).
    const auto twin = paths.root / "solutions" / ex.slug / f;
    if (full && !fs::exists(twin))
      problems.push_back("solutions/" + ex.slug + "/" + f + " is missing");
    else if (full && read_text_file(twin) != read_text_file(paths.exercises / ex.slug / f))
      problems.push_back("solutions/" + ex.slug + "/" + f + " differs from exercises/" + ex.slug + "/" + f +
                         ": a given file's twin is the same file");
  }
  if (!fs::exists(paths.exercises / ex.slug / "README.md")) problems.push_back("exercises/" + ex.slug + "/README.md is missing");
  // The question is quoted in Russian: Cyrillic letters are two UTF-8 bytes starting 0xD0 or 0xD1.
  if (std::none_of(ex.question_ru.begin(), ex.question_ru.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u == 0xD0 || u == 0xD1;
      }))
    problems.push_back("question.ru is not in Russian");
  if (ex.hints.size() < 2) problems.push_back("fewer than 2 hints");
  if (full && mutants.empty()) problems.push_back("no mutants in tests/" + ex.slug + "/mutants/");
  // A coverage exclusion must say why: "// LCOV_EXCL_LINE: <reason>" or
  // "// LCOV_EXCL_START: <reason>" (the STOP that ends a block needs none).
  for (const auto& f : ex.files) {
    std::ifstream in(paths.root / "solutions" / ex.slug / f);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      auto at = line.find("LCOV_EXCL_");
      if (at == std::string::npos || line.compare(at, 15, "LCOV_EXCL_STOP") == 0) continue;
      auto colon = line.find(':', at);
      if (colon == std::string::npos || line.find_first_not_of(" ", colon + 1) == std::string::npos)
        problems.push_back(fmt::format("solutions/{}/{}:{}: a coverage exclusion without a reason "
                                       "(write LCOV_EXCL_LINE: why)", ex.slug, f, n));
    }
  }
  for (const auto& m : mutants) {
    const auto* profile = find_profile(m.profile);
    if (!profile || !profile->proven_by_selfcheck)
      problems.push_back("mutant " + m.name + ": profile '" + m.profile + "' cannot be built (" + proven_profile_names() + ")");
  }
  return problems;
}

// Every numbered requirement of the README is checked by a test tagged
// [req:N], and every such tag names a requirement.
std::vector<std::string> requirement_problems(const Paths& paths, const Exercise& ex) {
  std::ifstream readme(paths.exercises / ex.slug / "README.md");
  std::stringstream text;
  text << readme.rdbuf();
  std::set<int> tagged;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(paths.tests / ex.slug, ec)) {
    if (entry.path().extension() != ".cpp") continue;
    std::ifstream in(entry.path());
    std::stringstream source;
    source << in.rdbuf();
    auto found = tagged_requirements(source.str());
    tagged.insert(found.begin(), found.end());
  }
  std::vector<std::string> forbidden;
  for (const auto& f : ex.forbidden) forbidden.push_back(f.symbol);
  return traceability_problems(readme_requirements(text.str()), tagged, forbidden);
}

}  // namespace grader
