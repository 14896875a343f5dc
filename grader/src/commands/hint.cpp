#include <fmt/format.h>

#include "commands/commands.hpp"
#include "select/selection.hpp"
#include "state/progress.hpp"

namespace grader {

int run_hint(Context& ctx, const std::string& name, int level, bool all) {
  auto catalog = load_catalog(ctx.paths.exercises);
  auto selection = select_exercises(catalog.exercises, {name});
  if (!selection.errors.empty()) {
    ctx.out << "grader: error: " << selection.errors.front() << "\n";
    return kExitUsage;
  }
  const auto& ex = *selection.exercises.front();
  auto progress = Progress::load(ctx.progress_file());
  auto& p = progress.of(ex.slug);
  int total = static_cast<int>(ex.hints.size());
  // Each call shows one hint more than the last, from general to specific.
  int shown = all ? total : level > 0 ? std::min(level, total) : std::min(p.hints_shown + 1, total);
  p.hints_shown = std::max(p.hints_shown, shown);
  progress.save();

  ctx.out << ctx.style.bold(ex.slug + ": " + ex.title) << "\n";
  for (int i = 0; i < shown; ++i)
    ctx.out << fmt::format("\nhint {} of {}: {}\n", i + 1, total, ex.hints[static_cast<std::size_t>(i)]);
  if (shown < total) ctx.out << fmt::format("\nAnother hint: ./kata hint {}   (all at once: --all)\n", ex.slug);
  return kExitPass;
}

}  // namespace grader
