#include "build/source_snapshot.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace grader {
namespace fs = std::filesystem;

namespace {

bool is_cpp_file(const fs::path& path) {
  static const std::set<std::string> extensions{".cpp", ".cc", ".cxx", ".c", ".hpp", ".hh", ".hxx", ".h", ".ipp", ".inl", ".tpp"};
  auto name = path.filename().string();
  return !name.empty() && name[0] != '.' && extensions.count(path.extension().string()) > 0;
}

// FNV-1a: stable across runs and builds of the grader, unlike std::hash.
std::string content_hash(const std::string& text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}-{}", h, text.size());
}

}  // namespace

SourceSnapshot snapshot_sources(const fs::path& dir) {
  SourceSnapshot snapshot;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || !is_cpp_file(it->path())) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    snapshot[it->path().filename().string()] = content_hash(text.str());
  }
  return snapshot;
}

std::vector<std::string> changed_sources(const SourceSnapshot& before, const SourceSnapshot& after) {
  std::vector<std::string> changed;
  for (const auto& [name, hash] : before)
    if (auto it = after.find(name); it == after.end() || it->second != hash) changed.push_back(name);
  for (const auto& [name, hash] : after)
    if (!before.count(name)) changed.push_back(name);
  return changed;
}

void save_snapshot(const fs::path& file, const SourceSnapshot& snapshot) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file);
  for (const auto& [name, hash] : snapshot) out << hash << " " << name << "\n";
}

bool load_snapshot(const fs::path& file, SourceSnapshot& snapshot) {
  std::ifstream in(file);
  if (!in) return false;
  snapshot.clear();
  for (std::string hash, name; in >> hash && std::getline(in >> std::ws, name);) snapshot[name] = hash;
  return true;
}

}  // namespace grader
