// The command line: a wrong command names the right ones.
#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "cli/cli.hpp"

using namespace grader;

namespace {

// Parses like main() and returns what went to stderr.
std::string parse_errors(std::vector<std::string> args, int& code) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream err;
  auto* saved = std::cerr.rdbuf(err.rdbuf());
  CommandLine cl;
  code = parse_command_line(static_cast<int>(argv.size()), argv.data(), cl);
  std::cerr.rdbuf(saved);
  return err.str();
}

}  // namespace

TEST_CASE("an unknown command is named, with every command there is", "[cli]") {
  int code = 0;
  auto text = parse_errors({"grader", "frobnicate"}, code);
  CHECK(code == kExitUsage);
  CHECK(text ==
        "grader: error: unknown command 'frobnicate'. The commands are:\n"
        "  list       List every exercise with its question and your progress\n"
        "  check      Build and run the tests of exercises (default: all)\n"
        "  hint       Show an exercise's hints: one more each time\n"
        "  next       The first exercise not done yet: its question and files\n"
        "  watch      Grade the current exercise on every save (the learner's loop)\n"
        "  reset      Restore an exercise's stub from git (your files are backed up)\n"
        "  solution   Show the reference solution of an exercise you solved\n"
        "  export     Write a learner's copy of the course (no solutions, no mutants)\n"
        "  changed    Sort the files changed between two revisions into learner files and others\n"
        "  take       Write into this tree exactly the learner files a pull request changed\n"
        "  selfcheck  Prove the tests: solutions pass, stubs fail, mutants are caught\n"
        "Each command's options: ./kata COMMAND --help\n");
}

TEST_CASE("no command at all is an error that lists the commands", "[cli]") {
  int code = 0;
  auto text = parse_errors({"grader"}, code);
  CHECK(code == kExitUsage);
  CHECK(text.rfind("grader: error: a command is required. The commands are:\n  list ", 0) == 0);
}

TEST_CASE("every option README.md shows after ./kata is one the grader accepts", "[cli]") {
  // What --help says, for the grader and each of its commands.
  std::string help;
  for (std::string command : {"", "list", "check", "hint", "next", "watch", "reset", "solution", "export", "changed",
                              "take", "selfcheck"}) {
    std::vector<std::string> args{"grader"};
    if (!command.empty()) args.push_back(command);
    args.push_back("--help");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream out;
    auto* saved = std::cout.rdbuf(out.rdbuf());
    CommandLine cl;
    parse_command_line(static_cast<int>(argv.size()), argv.data(), cl);
    std::cout.rdbuf(saved);
    help += out.str();
  }
  std::ifstream readme(std::string(GRADER_SOURCE_DIR) + "/README.md");
  REQUIRE(readme);
  const std::regex option(R"(--[a-z][a-z-]+)");
  int checked = 0;
  for (std::string line; std::getline(readme, line);) {
    auto at = line.find("./kata");
    if (at == std::string::npos) continue;
    auto rest = line.substr(at);
    for (std::sregex_iterator it(rest.begin(), rest.end(), option), end; it != end; ++it) {
      INFO("README.md: " << line);
      CHECK(help.find(it->str()) != std::string::npos);
      ++checked;
    }
  }
  CHECK(checked > 5);
}
