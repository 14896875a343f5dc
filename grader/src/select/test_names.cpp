#include "select/test_names.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace grader {

std::string escape_test_spec(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '\\' || c == ',' || c == '[' || c == ']' || c == '~') out += '\\';
    out += c;
  }
  return out;
}

std::vector<std::string> lint_test_names(const std::vector<std::string>& names) {
  std::vector<std::string> problems;
  std::map<std::string, std::string> seen;  // lower-case name -> name
  for (const auto& name : names) {
    auto quoted = "test \"" + name + "\"";
    if (name.empty()) {
      problems.push_back("a test has an empty name");
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(name.front())) || std::isspace(static_cast<unsigned char>(name.back())))
      problems.push_back(quoted + ": leading or trailing white space cannot be selected");
    if (name.front() == '*' || name.back() == '*')
      problems.push_back(quoted + ": a leading or trailing '*' is a wildcard in test specs");
    if (name.front() == '~') problems.push_back(quoted + ": a leading '~' excludes instead of selecting");
    if (name.rfind("exclude:", 0) == 0) problems.push_back(quoted + ": \"exclude:\" excludes instead of selecting");
    std::string lower(name);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    auto [it, fresh] = seen.emplace(lower, name);
    if (!fresh) problems.push_back(quoted + ": same as \"" + it->second + "\" ignoring case");
  }
  return problems;
}

}  // namespace grader
