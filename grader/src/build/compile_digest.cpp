#include "build/compile_digest.hpp"

#include <regex>
#include <sstream>
#include <vector>

namespace grader {

namespace {

// clang and g++ print the source line and a caret under a diagnostic.
std::string quoted_source(const std::vector<std::string>& lines, std::size_t at) {
  std::string text;
  for (std::size_t j = at + 1; j < lines.size() && j <= at + 2; ++j) {
    if (lines[j].find(": error: ") != std::string::npos || lines[j].find(": note: ") != std::string::npos ||
        lines[j].find("required from") != std::string::npos)
      break;
    text += "\n" + lines[j];
  }
  return text;
}

}  // namespace

std::string compile_digest(const std::string& output, const std::string& prefer, int max_errors, bool hide_others) {
  static const std::regex error_re(R"(^(.+?):(\d+):(\d+): (fatal error|error): (.*)$)");
  static const std::regex note_re(R"(^(.+?):(\d+):(\d+):\s+(note: .*|required from .*)$)");
  static const std::regex link_re(R"((undefined reference to|undefined symbol:|multiple definition of|ld(\.lld)?: error:).*)");
  std::vector<std::string> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) lines.push_back(line);

  struct Error {
    std::string text;
    bool preferred;
  };
  std::vector<Error> errors;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_match(lines[i], m, error_re)) continue;
    bool preferred = !prefer.empty() && m[1].str().find(prefer) != std::string::npos;
    if (hide_others && !preferred) {
      errors.push_back({"in a hidden test file (its lines are not shown): " + m[4].str() + ": " + m[5].str(), false});
      continue;
    }
    std::string text = lines[i] + quoted_source(lines, i);
    // An error inside a library header is the learner's when a note of its
    // chain ("in instantiation of ... requested here", "required from here")
    // points into their files: that line goes first.
    if (!preferred && !prefer.empty()) {
      for (std::size_t j = i + 1; j < lines.size() && !std::regex_match(lines[j], error_re); ++j) {
        std::smatch n;
        if (std::regex_match(lines[j], n, note_re) && n[1].str().find(prefer) != std::string::npos) {
          text = lines[j] + quoted_source(lines, j) + "\n" + text;
          preferred = true;
          break;
        }
      }
    }
    errors.push_back({text, preferred});
  }

  std::string digest;
  int shown = 0;
  for (bool want : {true, false}) {
    for (const auto& e : errors) {
      if (e.preferred != want || shown >= max_errors) continue;
      digest += (digest.empty() ? "" : "\n") + e.text;
      ++shown;
    }
  }
  if (shown > 0) {
    if (errors.size() > static_cast<std::size_t>(shown))
      digest += "\n(" + std::to_string(errors.size() - shown) + " more errors)";
    return digest;
  }
  for (const auto& line : lines) {
    if (std::regex_search(line, link_re)) {
      digest += (digest.empty() ? "" : "\n") + line;
      if (++shown >= max_errors) break;
    }
  }
  if (!digest.empty()) return digest;
  if (hide_others) return "the build failed in a way that quotes no file of yours (its log is not shown)";
  // Unknown shape: the last lines say the most.
  std::string tail;
  for (std::size_t i = lines.size() > 10 ? lines.size() - 10 : 0; i < lines.size(); ++i) tail += lines[i] + "\n";
  return tail;
}

}  // namespace grader
