#include "select/requirements.hpp"

#include <regex>
#include <sstream>

#include <fmt/format.h>

namespace grader {

std::map<int, std::string> readme_requirements(const std::string& readme) {
  static const std::regex item(R"(^(\d+)\. )");
  std::map<int, std::string> items;
  std::istringstream in(readme);
  bool inside = false;
  int current = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) {
      inside = line.rfind("## Requirements", 0) == 0;
      current = 0;
      continue;
    }
    if (!inside) continue;
    std::smatch m;
    if (std::regex_search(line, m, item)) {
      current = std::stoi(m[1].str());
      items[current] = line;
    } else if (current != 0 && !line.empty() && line[0] == ' ') {
      items[current] += "\n" + line;
    } else {
      current = 0;
    }
  }
  return items;
}

std::set<int> tagged_requirements(const std::string& test_source) {
  static const std::regex tag(R"(\[req:(\d+)\])");
  std::set<int> numbers;
  for (std::sregex_iterator it(test_source.begin(), test_source.end(), tag), end; it != end; ++it)
    numbers.insert(std::stoi((*it)[1].str()));
  return numbers;
}

std::vector<std::string> traceability_problems(const std::map<int, std::string>& requirements,
                                               const std::set<int>& tagged,
                                               const std::vector<std::string>& forbidden_symbols) {
  std::vector<std::string> problems;
  if (requirements.empty()) {
    problems.push_back("the README has no numbered requirements under \"## Requirements\"");
    return problems;
  }
  auto forbids = [&](const std::string& text) {
    for (const auto& symbol : forbidden_symbols)
      if (text.find("`" + symbol + "`") != std::string::npos) return true;
    return false;
  };
  for (const auto& [n, text] : requirements)
    if (!tagged.count(n) && !forbids(text))
      problems.push_back(fmt::format("requirement {} has no test tagged [req:{}]", n, n));
  for (int n : tagged)
    if (!requirements.count(n))
      problems.push_back(fmt::format("[req:{}] names no requirement (the README has {} to {})", n,
                                     requirements.begin()->first, requirements.rbegin()->first));
  return problems;
}

}  // namespace grader
