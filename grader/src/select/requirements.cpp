#include "select/requirements.hpp"

#include <regex>
#include <sstream>

#include <fmt/format.h>

namespace grader {

std::set<int> readme_requirements(const std::string& readme) {
  static const std::regex item(R"(^(\d+)\. )");
  std::set<int> numbers;
  std::istringstream in(readme);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) {
      inside = line.rfind("## Requirements", 0) == 0;
      continue;
    }
    std::smatch m;
    if (inside && std::regex_search(line, m, item)) numbers.insert(std::stoi(m[1].str()));
  }
  return numbers;
}

std::set<int> tagged_requirements(const std::string& test_source) {
  static const std::regex tag(R"(\[req:(\d+)\])");
  std::set<int> numbers;
  for (std::sregex_iterator it(test_source.begin(), test_source.end(), tag), end; it != end; ++it)
    numbers.insert(std::stoi((*it)[1].str()));
  return numbers;
}

std::vector<std::string> traceability_problems(const std::set<int>& requirements, const std::set<int>& tagged) {
  std::vector<std::string> problems;
  if (requirements.empty()) {
    problems.push_back("the README has no numbered requirements under \"## Requirements\"");
    return problems;
  }
  for (int n : requirements)
    if (!tagged.count(n)) problems.push_back(fmt::format("requirement {} has no test tagged [req:{}]", n, n));
  for (int n : tagged)
    if (!requirements.count(n))
      problems.push_back(fmt::format("[req:{}] names no requirement (the README has {} to {})", n,
                                     *requirements.begin(), *requirements.rbegin()));
  return problems;
}

}  // namespace grader
