// grader: parses the command line and dispatches; the work is in commands/.
#include <iostream>
#include <random>

#include <pwd.h>
#include <unistd.h>

#include "cli/cli.hpp"
#include "commands/commands.hpp"
#include "interrupt.hpp"
#include "paths.hpp"
#include "process/process.hpp"

int main(int argc, char** argv) {
  grader::CommandLine cl;
  if (int code = grader::parse_command_line(argc, argv, cl); code >= 0) return code;
  grader::handle_interrupts();

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
  ctx.style = grader::Style::for_stdout();
  ctx.reveal_hidden = cl.reveal_hidden;
  if (!cl.run_as.empty()) {
    const passwd* user = getpwnam(cl.run_as.c_str());
    if (!user) {
      std::cerr << "grader: error: --run-as: no user named '" << cl.run_as << "'\n";
      return grader::kExitUsage;
    }
    if (geteuid() != 0) {
      std::cerr << "grader: error: --run-as needs root (the grader keeps root's rights for its reports only)\n";
      return grader::kExitUsage;
    }
    ctx.run_as = grader::RunAs{user->pw_uid, user->pw_gid};
  }

  if (cl.command == "list") return grader::run_list(ctx, cl.list);
  if (cl.command == "hint") return grader::run_hint(ctx, cl.hint);
  if (cl.command == "next") return grader::run_next(ctx);
  if (cl.command == "watch") return grader::run_watch(ctx, cl.watch);
  if (cl.command == "reset") return grader::run_reset(ctx, cl.reset);
  if (cl.command == "solution") return grader::run_solution(ctx, cl.solution);
  if (cl.command == "export") return grader::run_export(ctx, cl.export_options);
  if (cl.command == "changed") return grader::run_changed(ctx, cl.changed);
  if (cl.command == "take") return grader::run_take(ctx, cl.take);
  if (cl.command == "check") return grader::run_check(ctx, cl.check);
  if (cl.command == "selfcheck") return grader::run_selfcheck(ctx, cl.selfcheck);
  std::cerr << "grader: error: unknown command '" << cl.command << "'\n";
  return grader::kExitUsage;
}
