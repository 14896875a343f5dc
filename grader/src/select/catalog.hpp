// select: the course catalog, read from every exercises/*/kata.json.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "model.hpp"

namespace grader {

/// Every exercise, ordered by slug, plus what was wrong with any metadata.
struct Catalog {
  std::vector<Exercise> exercises;
  std::vector<std::string> problems;  // "exercises/16-x/kata.json: <why>"
};

/// Reads exercises_dir/*/kata.json (schema version 1).
Catalog load_catalog(const std::filesystem::path& exercises_dir);

/// Parses one kata.json text; on a problem returns false and says why.
bool parse_exercise(const std::string& json_text, const std::string& slug, Exercise& out, std::string& why);

/// The mutants of an exercise: tests_dir/<slug>/mutants/*/mutant.json.
std::vector<Mutant> load_mutants(const std::filesystem::path& tests_dir, const std::string& slug,
                                 std::vector<std::string>& problems);

}  // namespace grader
