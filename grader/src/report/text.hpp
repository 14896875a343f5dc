// report: text that every format can carry.
#pragma once

#include <string>

namespace grader {

/// Valid UTF-8 without control characters other than tab and newline
/// (XML 1.0 forbids them; JSON readers choke on broken UTF-8). Anything else
/// becomes '?'; ANSI color sequences are dropped.
std::string clean_text(const std::string& text);

/// At most `max` bytes: the head and the tail, with a note of what was cut.
std::string shorten(const std::string& text, std::size_t max);

}  // namespace grader
