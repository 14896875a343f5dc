// cli: the command line, parsed into a command and its options. Nothing else.
#pragma once

#include <string>
#include <vector>

#include "commands/commands.hpp"

namespace grader {

struct CommandLine {
  std::string command;  // list, check, hint, selfcheck
  std::string root;     // repository root; empty: found from the working directory
  std::string tests_dir;
  std::string build_dir;
  int jobs = 0;
  long long seed = -1;  // -1: random
  bool no_stacks = false;
  CheckOptions check;
  SelfcheckOptions selfcheck;
  std::string hint_name;
  int hint_level = 1;
  bool hint_all = false;
};

/// Parses argv. Returns -1 to go on, or the exit code to return now (help,
/// usage error: the message is already printed).
int parse_command_line(int argc, char** argv, CommandLine& out);

}  // namespace grader
