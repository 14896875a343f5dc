#include <fmt/format.h>

#include "commands/commands.hpp"
#include "select/selection.hpp"

namespace grader {

int run_hint(Context& ctx, const std::string& name, int level) {
  auto catalog = load_catalog(ctx.paths.exercises);
  auto selection = select_exercises(catalog.exercises, {name});
  if (!selection.errors.empty()) {
    ctx.out << "grader: error: " << selection.errors.front() << "\n";
    return kExitUsage;
  }
  const auto& ex = *selection.exercises.front();
  int total = static_cast<int>(ex.hints.size());
  int shown = level <= 0 ? total : std::min(level, total);
  ctx.out << ex.slug << ": " << ex.title << "\n";
  for (int i = 0; i < shown; ++i) ctx.out << fmt::format("\nhint {} of {}: {}\n", i + 1, total, ex.hints[static_cast<std::size_t>(i)]);
  if (shown < total)
    ctx.out << fmt::format("\nMore: ./kata hint {} --level {}  (or --all)\n", ex.slug, shown + 1);
  return kExitPass;
}

}  // namespace grader
