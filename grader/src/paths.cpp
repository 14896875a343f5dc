#include "paths.hpp"

namespace grader {

Paths Paths::from_root(const std::filesystem::path& root) {
  return {root, root / "exercises", root / "tests", root / "build"};
}

std::filesystem::path find_repository_root(std::filesystem::path start) {
  namespace fs = std::filesystem;
  for (auto dir = fs::absolute(start); !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / "CMakePresets.json") && fs::is_directory(dir / "exercises")) return dir;
    if (dir == dir.root_path()) break;
  }
  return {};
}

}  // namespace grader
