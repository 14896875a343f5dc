// Writes one timeline page (report/timeline_html.hpp) for the browser test:
//   timeline_page TRACE_FILE TEST_NAME MESSAGE_FILE OUT.html
#include <fstream>
#include <iostream>
#include <sstream>

#include "report/timeline_html.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: timeline_page TRACE_FILE TEST_NAME MESSAGE_FILE OUT.html\n";
    return 2;
  }
  auto slurp = [](const char* path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  };
  grader::TimelinePage page{"20-thread-pool", "exercise", "explore", argv[2], "crashed", slurp(argv[3]), slurp(argv[1])};
  std::ofstream(argv[4], std::ios::binary) << grader::timeline_html(page);
  return 0;
}
