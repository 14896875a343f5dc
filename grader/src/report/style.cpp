#include "report/style.hpp"

#include <cstdlib>

#include <unistd.h>

namespace grader {

Style Style::for_stdout() {
  const char* no_color = std::getenv("NO_COLOR");
  bool off = no_color != nullptr && *no_color != '\0';
  return Style(!off && isatty(STDOUT_FILENO));
}

}  // namespace grader
