#include "select/selection.hpp"

#include <algorithm>

namespace grader {
namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string number_of(const std::string& slug) { return slug.substr(0, slug.find('-')); }
std::string name_of(const std::string& slug) {
  auto dash = slug.find('-');
  return dash == std::string::npos ? slug : slug.substr(dash + 1);
}

bool matches(const Exercise& ex, const std::string& name) {
  if (ex.slug == name || name_of(ex.slug) == name) return true;
  // "16" and "016" both name 16-deadlock.
  auto digits = name.find_first_not_of("0123456789") == std::string::npos && !name.empty();
  return digits && std::stoi(name) == std::stoi(number_of(ex.slug));
}

}  // namespace

std::string closest_slug(const std::vector<Exercise>& all, const std::string& name) {
  std::string best;
  std::size_t best_distance = 0;
  for (const auto& ex : all) {
    auto d = std::min(edit_distance(name, ex.slug), edit_distance(name, name_of(ex.slug)));
    if (best.empty() || d < best_distance) {
      best = ex.slug;
      best_distance = d;
    }
  }
  // Suggest only what a typo could explain.
  return (!best.empty() && best_distance <= std::max<std::size_t>(2, name.size() / 3)) ? best : "";
}

Selection select_exercises(const std::vector<Exercise>& all, const std::vector<std::string>& names) {
  Selection s;
  if (names.empty()) {
    for (const auto& ex : all) s.exercises.push_back(&ex);
    return s;
  }
  for (const auto& name : names) {
    auto it = std::find_if(all.begin(), all.end(), [&](const Exercise& ex) { return matches(ex, name); });
    if (it == all.end()) {
      auto guess = closest_slug(all, name);
      s.errors.push_back("unknown exercise '" + name + "'" +
                         (guess.empty() ? std::string(" (./kata list shows them all)")
                                        : ", did you mean '" + guess + "'?"));
    } else if (std::find(s.exercises.begin(), s.exercises.end(), &*it) == s.exercises.end()) {
      s.exercises.push_back(&*it);
    }
  }
  return s;
}

const Exercise* select_one(const std::vector<Exercise>& all, const std::string& name, std::string& error) {
  auto s = select_exercises(all, {name});
  if (!s.errors.empty()) {
    error = s.errors.front();
    return nullptr;
  }
  return s.exercises.front();
}

std::vector<const Exercise*> shard(const std::vector<const Exercise*>& exercises, int k, int n) {
  std::vector<const Exercise*> out;
  for (std::size_t i = 0; i < exercises.size(); ++i)
    if (static_cast<int>(i % static_cast<std::size_t>(n)) == k - 1) out.push_back(exercises[i]);
  return out;
}

}  // namespace grader
