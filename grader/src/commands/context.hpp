// What every command works with.
#pragma once

#include <optional>
#include <iostream>
#include <ostream>

#include "paths.hpp"
#include "report/style.hpp"
#include "process/process.hpp"
#include "select/catalog.hpp"

namespace grader {

/// Exit codes: the verdict for CI.
enum ExitCode { kExitPass = 0, kExitFailures = 1, kExitUsage = 2, kExitInterrupted = 130 };

struct Context {
  Paths paths;
  ProcessRunner& runner;
  std::ostream& out;
  std::ostream& err = std::cerr;  // "grader: error: ..." and warnings: never mixed into what out captures
  int jobs = 0;  // build jobs and parallel test slots; 0: the number of cores
  unsigned long long seed = 0;
  bool collect_stacks = true;
  bool reuse_results = false;  // selfcheck: a subject whose inputs did not change keeps its last result
  bool reveal_hidden = false;  // an instructor's flag: show hidden tests' details
  std::optional<RunAs> run_as;  // builds and tests run as this user (the grader stays root for its reports)
  Style style = Style::plain();

  std::filesystem::path progress_file() const { return paths.root / ".kata" / "progress.json"; }
};

}  // namespace grader
