// report: colors on a terminal only, and never when NO_COLOR is set.
#pragma once

#include <string>

namespace grader {

class Style {
 public:
  /// Colors when stdout is a terminal and NO_COLOR is unset (no-color.org).
  static Style for_stdout();
  static Style plain() { return Style(false); }

  std::string green(const std::string& s) const { return wrap("32", s); }
  std::string red(const std::string& s) const { return wrap("31", s); }
  std::string yellow(const std::string& s) const { return wrap("33", s); }
  std::string bold(const std::string& s) const { return wrap("1", s); }
  std::string dim(const std::string& s) const { return wrap("2", s); }
  bool enabled() const { return enabled_; }

 private:
  explicit Style(bool enabled) : enabled_(enabled) {}
  std::string wrap(const char* code, const std::string& s) const {
    return enabled_ ? "\033[" + std::string(code) + "m" + s + "\033[0m" : s;
  }
  bool enabled_;
};

}  // namespace grader
