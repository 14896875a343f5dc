#include "collect/coverage.hpp"

#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace grader {
namespace fs = std::filesystem;

std::vector<fs::path> coverage_object_dirs(const fs::path& tree, const std::string& slug, const std::string& impl) {
  std::vector<fs::path> dirs{tree / "CMakeFiles" / (slug + "." + impl + ".dir")};
  // The solution links the tests compiled once (templates in its headers are counted there).
  if (impl == "solution") dirs.push_back(tree / "CMakeFiles" / (slug + ".solution_tests.dir"));
  return dirs;
}

void reset_coverage_counters(const std::vector<fs::path>& object_dirs) {
  for (const auto& dir : object_dirs) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); ++it)
      if (it->path().extension() == ".gcda") fs::remove(it->path(), ec);
  }
}

std::string drop_lines_past_end(const std::string& info, const std::function<int(const std::string&)>& line_count) {
  std::istringstream in(info);
  std::string line, out;
  int last = 0;
  while (std::getline(in, line)) {
    if (line.rfind("SF:", 0) == 0) last = line_count(line.substr(3));
    bool line_record = line.rfind("DA:", 0) == 0 || line.rfind("BRDA:", 0) == 0;
    if (line_record) {
      auto start = line.find(':') + 1;
      if (std::stoi(line.substr(start, line.find(',', start) - start)) > last) continue;
    }
    // Totals (LF/LH/BRF/BRH) are recomputed by whoever reads the file.
    if (line.rfind("LF:", 0) == 0 || line.rfind("LH:", 0) == 0 || line.rfind("BRF:", 0) == 0 ||
        line.rfind("BRH:", 0) == 0)
      continue;
    out += line + "\n";
  }
  return out;
}

Coverage parse_tracefile(const std::string& info) {
  Coverage c;
  std::map<std::string, std::map<int, long>> lines;  // file -> line -> hits
  std::istringstream in(info);
  std::string line, file;
  while (std::getline(in, line)) {
    if (line.rfind("SF:", 0) == 0) {
      file = line.substr(3);
    } else if (line.rfind("DA:", 0) == 0) {
      auto comma = line.find(',');
      int n = std::stoi(line.substr(3, comma - 3));
      long hits = std::stol(line.substr(comma + 1, line.find(',', comma + 1) - comma - 1));
      lines[file][n] = std::max(lines[file][n], hits);
    } else if (line.rfind("BRDA:", 0) == 0) {
      ++c.branches_total;
      auto taken = line.substr(line.rfind(',') + 1);
      if (taken != "-" && taken != "0") ++c.branches_hit;
    }
  }
  for (const auto& [f, hits] : lines) {
    std::string ranges;
    int start = -1, prev = -1;
    auto flush = [&] {
      if (start < 0) return;
      ranges += (ranges.empty() ? "" : ", ") + std::to_string(start) + (prev > start ? "-" + std::to_string(prev) : "");
    };
    for (const auto& [n, h] : hits) {
      ++c.lines_total;
      if (h > 0) {
        ++c.lines_hit;
        continue;
      }
      if (start >= 0 && n == prev + 1) {
        prev = n;
        continue;
      }
      flush();
      start = prev = n;
    }
    flush();
    if (!ranges.empty()) c.uncovered += fs::path(f).filename().string() + ": " + ranges + "\n";
  }
  c.measured = true;
  return c;
}

Coverage measure_coverage(ProcessRunner& runner, const std::vector<fs::path>& object_dirs, const fs::path& source_dir,
                          const std::vector<std::string>& files, const fs::path& work_dir, const fs::path& html_dir) {
  Coverage failed;
  fs::create_directories(work_dir);
  auto all = work_dir / "all.info", mine = work_dir / "mine.info";
  // The coverage build is clang's: lcov reads its counters through llvm-cov.
  auto gcov_tool = work_dir / "llvm-gcov";
  std::ofstream(gcov_tool) << "#!/bin/sh\nexec llvm-cov-14 gcov \"$@\"\n";
  fs::permissions(gcov_tool, fs::perms::owner_all, fs::perm_options::add);
  auto lcov = [&](std::vector<std::string> args) {
    ProcessSpec spec;
    spec.argv = {"lcov", "--quiet", "--rc", "lcov_branch_coverage=1", "--gcov-tool", gcov_tool.string()};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.timeout = std::chrono::minutes(5);
    auto r = runner.run(spec);
    if (!r.exited_ok()) failed.uncovered = "lcov failed: " + r.start_error + r.output;
    return r.exited_ok();
  };
  std::vector<std::string> capture{"--capture", "--output-file", all.string()};
  for (const auto& d : object_dirs)
    if (fs::exists(d)) capture.insert(capture.end(), {"--directory", d.string()});
  if (!lcov(capture)) return failed;
  std::vector<std::string> extract{"--extract", all.string()};
  for (const auto& f : files) extract.push_back((fs::absolute(source_dir) / f).string());
  extract.insert(extract.end(), {"--output-file", mine.string()});
  if (!lcov(extract)) return failed;

  std::stringstream info;
  {
    std::ifstream in(mine);
    info << in.rdbuf();
  }
  auto count_lines = [](const std::string& file) {
    std::ifstream source(file);
    int n = 0;
    for (std::string l; std::getline(source, l);) ++n;
    return n;
  };
  auto kept = drop_lines_past_end(info.str(), count_lines);
  std::ofstream(mine) << kept;
  auto c = parse_tracefile(kept);

  ProcessSpec genhtml;
  genhtml.argv = {"genhtml", "--quiet", "--branch-coverage", "--output-directory", html_dir.string(), mine.string()};
  genhtml.timeout = std::chrono::minutes(5);
  if (runner.run(genhtml).exited_ok()) c.html = (html_dir / "index.html").string();
  return c;
}

}  // namespace grader
