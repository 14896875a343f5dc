// report: the one cleaner for text a learner's program can shape (test
// names, messages, output) before any report format or the terminal shows it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace grader {

/// `text` as every format can carry it:
///   - valid UTF-8 only: each ill-formed part (a stray or missing continuation
///     byte, an overlong form, an encoded surrogate, a code point above
///     U+10FFFF) becomes U+FFFD, and so does every noncharacter (U+FDD0..U+FDEF,
///     U+xxFFFE, U+xxFFFF);
///   - no control characters but "\n" and "\t": "\r\n" becomes "\n", other C0
///     controls and DEL are shown as "\x1b", C1 controls and the bidirectional
///     controls as "\u009b", "\u202e" (so no escape sequence reaches a
///     terminal, and XML 1.0 can hold every character).
/// Cleaning cleaned text changes nothing.
std::string clean_text(std::string_view text);

/// clean_text, at most `max_chars` characters (code points), the cut marker
/// included: the head and the tail with kCutMarker between them, cut on
/// character boundaries and never inside a "\x1b" escape. When even the
/// marker does not fit, the head alone.
std::string clean_text(std::string_view text, std::size_t max_chars);

/// Stands for the characters cut; "{}" is their number.
inline constexpr std::string_view kCutMarker = "\n[... {} characters cut ...]\n";

/// Characters (code points) in valid UTF-8.
std::size_t char_count(std::string_view utf8);

}  // namespace grader
