// Where things are: the repository, its build trees and the grader's output.
#pragma once

#include <filesystem>
#include <string>

namespace grader {

/// The repository layout the grader works in. Only build_root (and the report
/// paths under it) is ever written to.
struct Paths {
  std::filesystem::path root;        // repository root (CMakeLists.txt, exercises/)
  std::filesystem::path exercises;   // root/exercises: kata.json files and stubs
  std::filesystem::path tests;       // root/tests, or an instructor's private copy
  std::filesystem::path build_root;  // root/build

  static Paths from_root(const std::filesystem::path& root);

  /// The noise and explore profiles run the plain build's binaries with a
  /// preloaded shim (tests/support/noise/, tests/support/explore/); every
  /// other profile has a build tree of its own.
  static std::string build_profile(const std::string& profile) {
    return profile == "noise" || profile == "explore" ? "plain" : profile;
  }

  std::filesystem::path profile_tree(const std::string& profile) const { return build_root / build_profile(profile); }
  std::filesystem::path binary(const std::string& profile, const std::string& slug,
                               const std::string& implementation) const {
    return profile_tree(profile) / "bin" / slug / implementation;
  }
  std::filesystem::path run_dir(const std::string& profile, const std::string& slug,
                                const std::string& implementation) const {
    return profile_tree(profile) / (build_profile(profile) != profile ? "runs-" + profile : std::string("runs")) / slug / implementation;
  }
};

/// Walks up from `start` to the directory holding exercises/ and CMakePresets.json.
std::filesystem::path find_repository_root(std::filesystem::path start);

}  // namespace grader
