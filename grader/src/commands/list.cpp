#include <fmt/format.h>

#include "commands/commands.hpp"

namespace grader {

int run_list(Context& ctx) {
  auto catalog = load_catalog(ctx.paths.exercises);
  std::string module;
  for (const auto& ex : catalog.exercises) {
    if (ex.module != module) {
      module = ex.module;
      ctx.out << "\n" << module << "\n";
    }
    ctx.out << fmt::format("  {:<26} {:>3} pts  {}\n", ex.slug, ex.points, ex.title);
    ctx.out << fmt::format("  {:<26}          {}\n", "", ex.question_en);
  }
  for (const auto& p : catalog.problems) ctx.out << "grader: warning: " << p << "\n";
  ctx.out << fmt::format("\n{} exercises. Start with: ./kata check {}\n", catalog.exercises.size(),
                         catalog.exercises.empty() ? "" : catalog.exercises.front().slug);
  return kExitPass;
}

}  // namespace grader
