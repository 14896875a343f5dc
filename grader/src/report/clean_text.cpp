#include "report/clean_text.hpp"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

namespace grader {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

bool noncharacter(char32_t cp) { return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE; }

// Reorder what a reader sees (a forged line in a terminal or a review).
bool bidi_control(char32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

bool hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// Bytes of the character starting at `i` of cleaned text: an escape that
// clean_text writes ("\x1b", "\u202e") counts as one, so a cut keeps it whole.
std::size_t unit_bytes(std::string_view s, std::size_t i) {
  if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && hex(s[i + 2]) && hex(s[i + 3])) return 4;
  if (s[i] == '\\' && i + 5 < s.size() && s[i + 1] == 'u' && hex(s[i + 2]) && hex(s[i + 3]) && hex(s[i + 4]) &&
      hex(s[i + 5]))
    return 6;
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  return std::min(n, s.size() - i);
}

std::size_t unit_chars(std::size_t bytes, std::string_view s, std::size_t i) {
  return s[i] == '\\' && bytes > 1 ? bytes : 1;
}

}  // namespace

std::string clean_text(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
        // "\r\n" is a line end; a lone "\r" could overwrite a line on a terminal.
      } else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
        out += fmt::format("\\x{:02x}", c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // The well-formed sequences (Unicode table 3-7): the lead byte fixes the
    // length and the range of the second byte; the rest are 80..BF.
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    // Each maximal ill-formed part becomes one U+FFFD (Unicode's recommended practice).
    std::size_t k = 1;
    if (len > 0 && k < s.size() - i) {
      auto second = static_cast<unsigned char>(s[i + 1]);
      if (second >= lo && second <= hi) {
        k = 2;
        while (k < len && i + k < s.size() && continuation(static_cast<unsigned char>(s[i + k]))) ++k;
      }
    }
    if (len == 0 || k < len) {
      out += kReplacement;
      i += k;
      continue;
    }
    char32_t cp = c & (0xFF >> (len + 1));
    for (std::size_t j = 1; j < len; ++j) cp = (cp << 6) | (static_cast<unsigned char>(s[i + j]) & 0x3F);
    if (noncharacter(cp))
      out += kReplacement;
    else if (cp <= 0x9F || bidi_control(cp))
      out += fmt::format("\\u{:04x}", static_cast<std::uint32_t>(cp));
    else
      out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

std::size_t char_count(std::string_view utf8) {
  std::size_t n = 0;
  for (unsigned char c : utf8) n += !continuation(c);
  return n;
}

std::string clean_text(std::string_view text, std::size_t max_chars) {
  auto clean = clean_text(text);
  auto total = char_count(clean);
  if (total <= max_chars) return clean;
  auto marker_for = [](std::size_t cut) { return fmt::format(fmt::runtime(kCutMarker), cut); };
  // The marker for `total` is at least as long as the one finally written.
  auto longest_marker = marker_for(total).size();
  std::size_t head_budget = max_chars, tail_budget = 0;
  if (max_chars >= longest_marker) {
    auto budget = max_chars - longest_marker;
    head_budget = budget / 2;
    tail_budget = budget - head_budget;
  }
  std::size_t head_end = 0, head_chars = 0;
  while (head_end < clean.size()) {
    auto bytes = unit_bytes(clean, head_end);
    auto chars = unit_chars(bytes, clean, head_end);
    if (head_chars + chars > head_budget) break;
    head_chars += chars;
    head_end += bytes;
  }
  if (max_chars < longest_marker) return clean.substr(0, head_end);
  tail_budget += head_budget - head_chars;
  // The tail: the characters after head_end that fit, counted from the end.
  std::size_t tail_start = clean.size(), tail_chars = 0;
  for (std::size_t i = head_end, rest = total - head_chars; i < clean.size();) {
    auto bytes = unit_bytes(clean, i);
    if (rest <= tail_budget) {
      tail_start = i;
      tail_chars = rest;
      break;
    }
    rest -= unit_chars(bytes, clean, i);
    i += bytes;
  }
  return clean.substr(0, head_end) + marker_for(total - head_chars - tail_chars) + clean.substr(tail_start);
}

}  // namespace grader
