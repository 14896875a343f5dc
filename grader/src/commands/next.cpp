#include <fmt/format.h>

#include "commands/commands.hpp"
#include "state/progress.hpp"

namespace grader {

int run_next(Context& ctx) {
  auto catalog = load_catalog(ctx.paths.exercises);
  auto progress = Progress::load(ctx.progress_file());
  for (const auto& ex : catalog.exercises) {
    if (progress.get(ex.slug).done) continue;
    ctx.out << ctx.style.bold(ex.slug + ": " + ex.title) << "\n\n";
    ctx.out << "  " << ex.question_ru << "\n  " << ctx.style.dim(ex.question_en) << "\n\n";
    ctx.out << "  " << ex.blurb << "\n\n";
    ctx.out << "  read:  exercises/" << ex.slug << "/README.md\n";
    for (const auto& f : ex.given) ctx.out << "  read:  exercises/" << ex.slug << "/" << f << "\n";
    for (const auto& f : ex.files) ctx.out << "  edit:  exercises/" << ex.slug << "/" << f << "\n";
    ctx.out << "  check: ./kata check " << ex.slug << "   (or ./kata watch)\n";
    return kExitPass;
  }
  ctx.out << (catalog.exercises.empty() ? "No exercises here.\n" : "Every exercise is done. Well done!\n");
  return kExitPass;
}

}  // namespace grader
