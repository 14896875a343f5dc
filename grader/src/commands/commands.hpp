// The grader's commands; main.cpp only parses arguments and dispatches here.
#pragma once

#include <string>
#include <vector>

#include "commands/context.hpp"

namespace grader {

/// Every exercise, by module, with its question and points.
int run_list(Context& ctx);

/// The next hint of an exercise (`level` = how many to show; 0 = all).
int run_hint(Context& ctx, const std::string& name, int level);

struct CheckOptions {
  std::vector<std::string> names;  // empty: all
  std::string implementation = "exercise";
  std::string profile = "plain";
  std::string results_path;        // results.json; empty: build/results.json
  int shard_k = 1, shard_n = 1;
};
/// Builds and runs the tests of the selected exercises; 0 only when all pass.
int run_check(Context& ctx, const CheckOptions& options);

struct SelfcheckOptions {
  std::vector<std::string> names;
  int mutant_runs = 3;
  std::vector<std::string> profiles;  // empty: every profile an exercise lists that the grader can build
  int shard_k = 1, shard_n = 1;
};
/// Proves the tests: solutions pass, stubs fail, mutants are caught.
int run_selfcheck(Context& ctx, const SelfcheckOptions& options);

}  // namespace grader
