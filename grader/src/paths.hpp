// Where things are: the repository, its build trees and the grader's output.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace grader {

/// The repository layout the grader works in. The grader writes under
/// build_root, to the report folder it is given, and (learner commands only)
/// to .kata/progress.json, the learner's files on reset, and the symlink
/// compile_commands.json at the root.
struct Paths {
  std::filesystem::path root;        // repository root (CMakeLists.txt, exercises/)
  std::filesystem::path exercises;   // root/exercises: kata.json files and stubs
  std::filesystem::path tests;       // root/tests, or an instructor's private copy
  std::filesystem::path build_root;  // root/build

  static Paths from_root(const std::filesystem::path& root);

  /// build/<tree>: one CMake build tree per compiler setup (pipeline/profile.hpp
  /// says which profile builds in which tree).
  std::filesystem::path tree(std::string_view build_tree) const { return build_root / build_tree; }
  std::filesystem::path binary(std::string_view build_tree, const std::string& slug,
                               const std::string& implementation) const {
    return tree(build_tree) / "bin" / slug / implementation;
  }
};

/// Walks up from `start` to the directory holding exercises/ and CMakePresets.json.
std::filesystem::path find_repository_root(std::filesystem::path start);

}  // namespace grader
