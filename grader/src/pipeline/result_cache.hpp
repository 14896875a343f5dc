// The self-check's memory: the result of a subject whose inputs have not
// changed since it last ran (same binary, shim, profile, seed, options, and
// the same grader) is reused instead of run again. `selfcheck --fresh` runs
// everything; a clean clone has nothing to reuse.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "model.hpp"

namespace grader {

class ResultCache {
 public:
  explicit ResultCache(std::filesystem::path dir) : dir_(std::move(dir)) {}

  /// The stored result for `key`, if any (a damaged entry counts as none).
  std::optional<ExerciseResult> find(const std::string& key) const;
  void store(const std::string& key, const ExerciseResult& result) const;

  /// "<size>:<mtime ns>" of a file, or "" when it does not exist: a build
  /// replaces a binary (it removes the old one first), so a new one has a new stamp.
  static std::string file_stamp(const std::filesystem::path& file);

 private:
  std::filesystem::path path_of(const std::string& key) const;
  std::filesystem::path dir_;
};

/// The JSON the cache keeps, and back.
std::string result_to_json(const ExerciseResult& result);
std::optional<ExerciseResult> result_from_json(const std::string& json);

}  // namespace grader
