// cli: the command line, parsed into a command and its options. Nothing else.
#pragma once

#include <string>
#include <vector>

#include "commands/commands.hpp"

namespace grader {

struct CommandLine {
  // What every command takes; main.cpp makes the Context of these.
  std::string command;  // list, check, hint, selfcheck...
  std::string root;     // repository root; empty: found from the working directory
  std::string tests_dir;
  std::string build_dir;
  int jobs = 0;
  long long seed = -1;  // -1: random
  bool no_stacks = false;
  bool reveal_hidden = false;  // check's --reveal-hidden; the Context carries it
  std::string run_as;          // a user name: builds and tests run as this user

  // Each command's own options (commands/commands.hpp); only those of
  // `command` are read.
  ListOptions list;
  CheckOptions check;
  HintOptions hint;
  WatchOptions watch;
  ResetOptions reset;
  SolutionOptions solution;
  ExportOptions export_options;  // `export` is a keyword
  ChangedOptions changed;
  TakeOptions take;
  SelfcheckOptions selfcheck;
};

/// Parses argv. Returns -1 to go on, or the exit code to return now (help,
/// usage error: the message is already printed).
int parse_command_line(int argc, char** argv, CommandLine& out);

}  // namespace grader
