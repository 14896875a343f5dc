// Running a real program from a test (python3's jsonschema, xmllint...).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "process/process.hpp"

namespace grader {

/// Runs `argv` for a minute at most; its output is in the result.
inline ProcessResult run_tool(std::vector<std::string> argv) {
  PosixProcessRunner runner;
  ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.timeout = std::chrono::seconds(60);
  return runner.run(spec);
}

}  // namespace grader
