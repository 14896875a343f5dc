#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "commands/commands.hpp"
#include "commands/named_exercise.hpp"
#include "state/progress.hpp"

namespace grader {

int run_solution(Context& ctx, const SolutionOptions& options) {
  auto catalog = load_catalog(ctx.paths.exercises);
  const auto* found = named_exercise(ctx, catalog, options.name);
  if (!found) return kExitUsage;
  const auto& ex = *found;
  auto dir = ctx.paths.root / "solutions" / ex.slug;
  if (!std::filesystem::exists(dir)) {
    ctx.out << "This copy of the course has no solutions/ folder.\n";
    return kExitFailures;
  }
  if (!options.force && !Progress::load(ctx.progress_file()).get(ex.slug).done) {
    ctx.out << fmt::format("Solve it first: the solution is shown once ./kata check {} passes.\n"
                           "(It is in solutions/{}/ all along; --force shows it now.)\n",
                           ex.slug, ex.slug);
    return kExitFailures;
  }
  for (const auto& f : ex.files) {
    std::ifstream in(dir / f);
    std::stringstream text;
    text << in.rdbuf();
    ctx.out << ctx.style.bold("==> solutions/" + ex.slug + "/" + f) << "\n" << text.str() << "\n";
  }
  return kExitPass;
}

}  // namespace grader
