// The learner's progress: which exercises pass, how many hints were shown.
// Kept in .kata/progress.json (git ignores .kata/); losing it loses nothing
// that a `./kata check` cannot find out again.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace grader {

struct ExerciseProgress {
  bool done = false;      // passed its last check against the learner's code
  bool attempted = false; // checked at least once
  int hints_shown = 0;
};

class Progress {
 public:
  /// Loads `path`; a missing or unreadable file is an empty progress.
  static Progress load(const std::filesystem::path& path);

  /// Writes it back (through a temporary file and a rename).
  bool save() const;

  ExerciseProgress& of(const std::string& slug) { return exercises_[slug]; }
  ExerciseProgress get(const std::string& slug) const {
    auto it = exercises_.find(slug);
    return it == exercises_.end() ? ExerciseProgress{} : it->second;
  }

 private:
  std::filesystem::path path_;
  std::map<std::string, ExerciseProgress> exercises_;
};

}  // namespace grader
