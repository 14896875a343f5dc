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
  bool reveal_hidden = false;
  CheckOptions check;
  SelfcheckOptions selfcheck;
  std::string name;          // the exercise of hint, reset, solution, watch
  int hint_level = 0;        // 0: one more than last time
  bool hint_all = false;
  bool yes = false;          // reset without asking
  bool force = false;        // solution before passing
  bool poll = false;         // watch by polling instead of inotify
  std::string export_dir;
  bool allow_dirty = false;  // export despite uncommitted changes in exercises/
  bool markdown = false;     // list as the README's table
  std::string base, head;    // changed, take
  bool nul = false;          // changed: NUL-terminated records
  std::string exercises_out, ignored_out;  // take
  std::string run_as;        // a user name: builds and tests run as this user
};

/// Parses argv. Returns -1 to go on, or the exit code to return now (help,
/// usage error: the message is already printed).
int parse_command_line(int argc, char** argv, CommandLine& out);

}  // namespace grader
