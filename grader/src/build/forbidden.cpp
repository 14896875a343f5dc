#include "build/forbidden.hpp"

#include <algorithm>
#include <regex>

namespace grader {

std::string strip_comments_and_strings(const std::string& s) {
  std::string out = s;
  enum { code, line_comment, block_comment, string, character, raw_string } state = code;
  std::string raw_end;  // )delim" for raw strings
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i], next = i + 1 < s.size() ? s[i + 1] : '\0';
    auto blank = [&](std::size_t k) { if (out[k] != '\n') out[k] = ' '; };
    switch (state) {
      case code:
        if (c == '/' && next == '/') { state = line_comment; blank(i); }
        else if (c == '/' && next == '*') { state = block_comment; blank(i); blank(++i); }
        else if (c == 'R' && next == '"' && (i == 0 || !(std::isalnum(static_cast<unsigned char>(s[i - 1])) || s[i - 1] == '_'))) {
          auto paren = s.find('(', i + 2);
          if (paren == std::string::npos) break;
          raw_end = ")" + s.substr(i + 2, paren - i - 2) + "\"";
          for (std::size_t k = i; k <= paren; ++k) blank(k);
          i = paren;
          state = raw_string;
        }
        else if (c == '"') { state = string; blank(i); }
        else if (c == '\'' && !(i > 0 && std::isxdigit(static_cast<unsigned char>(s[i - 1])))) { state = character; blank(i); }
        break;
      case line_comment:
        if (c == '\n') state = code; else blank(i);
        break;
      case block_comment:
        if (c == '*' && next == '/') { blank(i); blank(++i); state = code; } else blank(i);
        break;
      case string:
      case character:
        if (c == '\\') { blank(i); if (i + 1 < s.size()) blank(++i); }
        else if ((state == string && c == '"') || (state == character && c == '\'')) { blank(i); state = code; }
        else blank(i);
        break;
      case raw_string:
        if (s.compare(i, raw_end.size(), raw_end) == 0) {
          for (std::size_t k = i; k < i + raw_end.size(); ++k) blank(k);
          i += raw_end.size() - 1;
          state = code;
        } else blank(i);
        break;
    }
  }
  return out;
}

std::vector<int> find_symbol(const std::string& source, const std::string& symbol) {
  // "std::this_thread::sleep_for" -> std\s*::\s*this_thread\s*::\s*sleep_for
  std::string pattern;
  std::size_t start = 0;
  while (true) {
    auto colons = symbol.find("::", start);
    auto part = symbol.substr(start, colons == std::string::npos ? std::string::npos : colons - start);
    pattern += std::regex_replace(part, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
    if (colons == std::string::npos) break;
    pattern += R"(\s*::\s*)";
    start = colons + 2;
  }
  std::regex re("(^|[^A-Za-z0-9_])" + pattern + "(?![A-Za-z0-9_])");
  auto code = strip_comments_and_strings(source);
  std::vector<int> lines;
  for (auto it = std::sregex_iterator(code.begin(), code.end(), re); it != std::sregex_iterator(); ++it) {
    auto symbol_at = it->position(0) + it->length(1);  // past the character before the symbol
    int line = 1 + static_cast<int>(std::count(code.begin(), code.begin() + symbol_at, '\n'));
    if (lines.empty() || lines.back() != line) lines.push_back(line);
  }
  return lines;
}

}  // namespace grader
