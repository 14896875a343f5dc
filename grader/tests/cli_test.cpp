// The command line: a wrong command names the right ones.
#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <regex>
#include <set>
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

namespace {

// Parses like main() a command line that is expected to be valid.
CommandLine parsed(std::vector<std::string> args) {
  args.insert(args.begin(), "grader");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  CommandLine cl;
  REQUIRE(parse_command_line(static_cast<int>(argv.size()), argv.data(), cl) == -1);
  return cl;
}

}  // namespace

TEST_CASE("each command's options land in its own struct, the global ones in the command line", "[cli]") {
  auto hint = parsed({"hint", "16", "--level", "2", "--seed", "7"});
  CHECK(hint.command == "hint");
  CHECK(hint.hint.name == "16");
  CHECK(hint.hint.level == 2);
  CHECK_FALSE(hint.hint.all);
  CHECK(hint.seed == 7);
  CHECK(hint.reset.name.empty());  // the exercise of hint is not reset's, nor solution's
  CHECK(hint.solution.name.empty());

  auto take = parsed({"take", "main", "pr", "--exercises-out", "e", "--ignored-out", "i"});
  CHECK(take.command == "take");
  CHECK(take.take.base == "main");
  CHECK(take.take.head == "pr");
  CHECK(take.take.exercises_out == "e");
  CHECK(take.take.ignored_out == "i");
  CHECK(take.changed.base.empty());

  auto changed = parsed({"changed", "main", "pr", "-z"});
  CHECK(changed.changed.base == "main");
  CHECK(changed.changed.head == "pr");
  CHECK(changed.changed.nul);

  CHECK(parsed({"reset", "16", "-y"}).reset.yes);
  CHECK(parsed({"solution", "16", "--force"}).solution.force);
  CHECK(parsed({"watch", "--poll"}).watch.poll);
  CHECK(parsed({"list", "--markdown"}).list.markdown);
  auto exported = parsed({"export", "/tmp/copy", "--allow-dirty"});
  CHECK(exported.export_options.dir == "/tmp/copy");
  CHECK(exported.export_options.allow_dirty);
}

namespace {
std::string help_of(const std::string& command);  // below
}  // namespace

TEST_CASE("every option README.md shows after ./kata is one the grader accepts", "[cli]") {
  // What --help says, for the grader and each of its commands.
  std::string help;
  for (std::string command : {"", "list", "check", "hint", "next", "watch", "reset", "solution", "export", "changed",
                              "take", "selfcheck"})
    help += help_of(command);
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

namespace {

// What `grader [COMMAND] --help` prints.
std::string help_of(const std::string& command) {
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
  return out.str();
}

std::string read_doc(const std::string& path) {
  std::ifstream in(std::string(GRADER_SOURCE_DIR) + "/" + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The commands `grader --help` lists under "Subcommands:" ("  name  what it does").
std::set<std::string> grader_commands() {
  std::set<std::string> commands;
  std::istringstream help(help_of(""));
  bool in_list = false;
  const std::regex row(R"(^  ([a-z]+)\s)");
  for (std::string line; std::getline(help, line);) {
    if (line == "Subcommands:") in_list = true;
    std::smatch m;
    if (in_list && std::regex_search(line, m, row)) commands.insert(m[1]);
  }
  return commands;
}

// One row of a doc's table of commands: the commands its first cell names
// (`./kata NAME ...`) and the options named anywhere in the row's code spans.
struct CommandRow {
  std::string line;
  std::vector<std::string> commands;
  std::vector<std::string> options;
};

// The rows of the table that follows the heading "## Commands".
std::vector<CommandRow> command_rows(const std::string& doc) {
  std::vector<CommandRow> rows;
  std::istringstream text(doc);
  bool in_section = false;
  const std::regex span("`([^`]*)`");
  const std::regex command(R"(^\./kata ([a-z]+))");
  const std::regex option(R"((?:^|[\s\[(|])(--?[a-z][a-z-]*))");
  for (std::string line; std::getline(text, line);) {
    if (line.rfind("## ", 0) == 0) in_section = line == "## Commands";
    if (!in_section || line.rfind("| `./kata", 0) != 0) continue;
    CommandRow row{line, {}, {}};
    auto first_cell = line.substr(0, line.find(" | ", 2));
    for (std::sregex_iterator it(line.begin(), line.end(), span), end; it != end; ++it) {
      std::string code = (*it)[1];
      std::smatch m;
      if (it->position() < static_cast<long>(first_cell.size()) && std::regex_search(code, m, command))
        row.commands.push_back(m[1]);
      for (std::sregex_iterator o(code.begin(), code.end(), option); o != end; ++o) row.options.push_back((*o)[1]);
    }
    rows.push_back(row);
  }
  return rows;
}

// The commands the kata script runs itself (`if [ "${1:-}" = bench ]`, `test)`), not the grader.
std::set<std::string> script_commands(const std::string& script) {
  std::set<std::string> commands;
  const std::regex own(R"re("\$\{1:-\}" = ([a-z]+) \])re");
  for (std::sregex_iterator it(script.begin(), script.end(), own), end; it != end; ++it) commands.insert((*it)[1]);
  return commands;
}

}  // namespace

TEST_CASE("the docs' tables of commands name every command --help has, and only options each accepts", "[cli]") {
  const auto commands = grader_commands();
  REQUIRE(commands.size() >= 11);
  const auto script = read_doc("kata");
  const auto own = script_commands(script);
  CHECK(own == std::set<std::string>{"bench", "test"});
  const auto global = help_of("");  // options every command accepts (--seed, --run-as, ...)

  for (std::string doc : {"README.md", "docs/grader.md"}) {
    auto rows = command_rows(read_doc(doc));
    INFO(doc);
    REQUIRE(rows.size() >= 5);
    std::set<std::string> named;
    for (const auto& row : rows) {
      INFO(doc << ": " << row.line);
      CHECK_FALSE(row.commands.empty());
      std::string accepted = global;
      for (const auto& c : row.commands) {
        named.insert(c);
        CHECK((commands.count(c) || own.count(c)));
        accepted += commands.count(c) ? help_of(c) : script;
      }
      for (const auto& o : row.options) {
        INFO("option " << o);
        CHECK(std::regex_search(accepted, std::regex("(^|[\\s,\\[])" + o + "([\\s,=\\]]|$)")));
      }
    }
    for (const auto& c : commands) {
      INFO("grader --help lists " << c);
      CHECK(named.count(c));
    }
  }
}
