#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/named_exercise.hpp"
#include "state/progress.hpp"

namespace grader {

int run_hint(Context& ctx, const HintOptions& options, bool in_watch) {
  auto catalog = load_catalog(ctx.paths.exercises);
  const auto* found = named_exercise(ctx, catalog, options.name);
  if (!found) return kExitUsage;
  const auto& ex = *found;
  auto progress = Progress::load(ctx.progress_file());
  auto& p = progress.of(ex.slug);
  int total = static_cast<int>(ex.hints.size());
  // Each call shows one hint more than the last, from general to specific.
  int shown = std::min(p.hints_shown + 1, total);
  if (options.level > 0) shown = std::min(options.level, total);
  if (options.all) shown = total;
  p.hints_shown = std::max(p.hints_shown, shown);
  progress.save();

  ctx.out << ctx.style.bold(ex.slug + ": " + ex.title) << "\n";
  for (int i = 0; i < shown; ++i)
    ctx.out << fmt::format("\nhint {} of {}: {}\n", i + 1, total, ex.hints[static_cast<std::size_t>(i)]);
  if (shown < total && in_watch) ctx.out << "\nAnother hint: press h\n";
  else if (shown < total) ctx.out << fmt::format("\nAnother hint: ./kata hint {}   (all at once: --all)\n", ex.slug);
  return kExitPass;
}

}  // namespace grader
