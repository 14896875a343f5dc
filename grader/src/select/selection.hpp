// select: which exercises a command applies to.
#pragma once

#include <string>
#include <vector>

#include "model.hpp"

namespace grader {

struct Selection {
  std::vector<const Exercise*> exercises;
  std::vector<std::string> errors;  // "unknown exercise 'x', did you mean '16-deadlock'?"
};

/// Resolves names to exercises: an exact slug, its number ("16"), or its name
/// without the number ("deadlock"). No names selects every exercise.
Selection select_exercises(const std::vector<Exercise>& all, const std::vector<std::string>& names);

/// Exactly one exercise by name; null with the reason in `error` otherwise.
const Exercise* select_one(const std::vector<Exercise>& all, const std::string& name, std::string& error);

/// Shard K of N (1-based): exercises split evenly by position.
std::vector<const Exercise*> shard(const std::vector<const Exercise*>& exercises, int k, int n);

/// The closest slug to `name` by edit distance, or "" when none is close.
std::string closest_slug(const std::vector<Exercise>& all, const std::string& name);

}  // namespace grader
