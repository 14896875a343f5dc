#include "report/markdown.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace grader {
namespace {

std::size_t longest_run(const std::string& text, char c) {
  std::size_t longest = 0, run = 0;
  for (char ch : text) {
    run = ch == c ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

}  // namespace

std::string markdown_code_span(const std::string& text) {
  std::string shown;
  for (unsigned char c : text) {
    if (c == '\n') shown += "\\n";
    else if (c < 0x20 || c >= 0x7f) shown += fmt::format("\\x{:02x}", c);
    else shown += static_cast<char>(c);
  }
  std::string fence(longest_run(shown, '`') + 1, '`');
  return fence + " " + shown + " " + fence;
}

}  // namespace grader
