// Writing a test's files: a course on disk, a learner's save.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace grader {

/// Writes `text` to `path`, creating the folders it needs.
inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

}  // namespace grader
