// grader: parses the command line and dispatches; the work is in commands/.
#include <csignal>
#include <iostream>
#include <random>
#include <thread>

#include <pthread.h>
#include <unistd.h>

#include "cli/cli.hpp"
#include "commands/commands.hpp"
#include "paths.hpp"
#include "run/process.hpp"

namespace {

// Ctrl-C or a CI cancel: kill every test still running (each is in its own
// process group, so the terminal's signal does not reach it), then exit 130.
void handle_interrupts() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by every thread started later
  std::thread([signals] {
    int received = 0;
    sigwait(&signals, &received);
    grader::kill_running_processes();
    std::cerr << "\ngrader: interrupted; stopped every running test\n";
    _exit(grader::kExitInterrupted);
  }).detach();
}

}  // namespace

int main(int argc, char** argv) {
  grader::CommandLine cl;
  if (int code = grader::parse_command_line(argc, argv, cl); code >= 0) return code;
  handle_interrupts();

  auto root = cl.root.empty() ? grader::find_repository_root(std::filesystem::current_path())
                              : std::filesystem::absolute(cl.root);
  if (root.empty()) {
    std::cerr << "grader: error: not inside concurrency-kata (no CMakePresets.json and exercises/ above "
              << std::filesystem::current_path().string() << "); pass --root\n";
    return grader::kExitUsage;
  }
  auto paths = grader::Paths::from_root(root);
  if (!cl.tests_dir.empty()) paths.tests = std::filesystem::absolute(cl.tests_dir);
  if (!cl.build_dir.empty()) paths.build_root = std::filesystem::absolute(cl.build_dir);

  grader::PosixProcessRunner runner;
  grader::Context ctx{paths, runner, std::cout};
  ctx.jobs = cl.jobs;
  ctx.seed = cl.seed >= 0 ? static_cast<unsigned long long>(cl.seed) : std::random_device{}() % 1000000;
  ctx.collect_stacks = !cl.no_stacks;

  if (cl.command == "list") return grader::run_list(ctx);
  if (cl.command == "hint") return grader::run_hint(ctx, cl.hint_name, cl.hint_level);
  if (cl.command == "check") return grader::run_check(ctx, cl.check);
  if (cl.command == "selfcheck") return grader::run_selfcheck(ctx, cl.selfcheck);
  std::cerr << "grader: error: unknown command '" << cl.command << "'\n";
  return grader::kExitUsage;
}
