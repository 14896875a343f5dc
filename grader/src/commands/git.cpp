#include "commands/git.hpp"

namespace grader {

ProcessResult run_git(Context& ctx, const std::vector<std::string>& args, const std::filesystem::path& cwd) {
  ProcessSpec spec;
  spec.argv = {"git"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = cwd.empty() ? ctx.paths.root : cwd;
  spec.timeout = std::chrono::minutes(2);
  spec.output_cap = 256 * 1024 * 1024;
  return ctx.runner.run(spec);
}

std::vector<std::string> split_nul(const std::string& text) {
  std::vector<std::string> records;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) records.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return records;
}

}  // namespace grader
