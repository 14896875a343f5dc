#include <algorithm>

#include <fmt/format.h>

#include "commands/commands.hpp"
#include "state/progress.hpp"

namespace grader {

std::string exercise_table_markdown(const std::vector<Exercise>& exercises) {
  std::string table = "| # | exercise | module | question |\n|---|---|---|---|\n";
  for (const auto& ex : exercises) {
    auto dash = ex.slug.find('-');
    table += fmt::format("| {} | [{}](exercises/{}/README.md) | {} | {} |\n", ex.slug.substr(0, dash),
                         ex.slug.substr(dash + 1), ex.slug, ex.module, ex.question_ru);
  }
  return table;
}

int run_list(Context& ctx, const ListOptions& options) {
  auto catalog = load_catalog(ctx.paths.exercises);
  if (options.markdown) {
    ctx.out << exercise_table_markdown(catalog.exercises);
    return kExitPass;
  }
  auto progress = Progress::load(ctx.progress_file());
  const auto& s = ctx.style;
  std::string module;
  int done = 0;
  for (const auto& ex : catalog.exercises) {
    if (ex.module != module) {
      module = ex.module;
      ctx.out << "\n" << s.bold(module) << "\n";
    }
    auto p = progress.get(ex.slug);
    done += p.done;
    auto status = p.done ? s.green("done   ") : p.attempted ? s.yellow("failing") : s.dim("-      ");
    ctx.out << fmt::format("  {} {:<26} {:>3} pts  {}\n", status, ex.slug, ex.points, ex.title);
    ctx.out << fmt::format("  {:<7} {:<26}          {}\n", "", "", s.dim(ex.question_ru));
  }
  for (const auto& p : catalog.problems) ctx.err << "grader: warning: " << p << "\n";
  const int total = static_cast<int>(catalog.exercises.size()), width = 30;
  int filled = total == 0 ? 0 : done * width / total;
  ctx.out << fmt::format("\n[{}{}] {} of {} done\n", s.green(std::string(static_cast<std::size_t>(filled), '#')),
                         std::string(static_cast<std::size_t>(width - filled), '-'), done, total);
  return kExitPass;
}

int run_list_fitted(Context& ctx, const std::string& current, int max_lines) {
  auto catalog = load_catalog(ctx.paths.exercises);
  auto progress = Progress::load(ctx.progress_file());
  const auto& s = ctx.style;
  const int total = static_cast<int>(catalog.exercises.size());
  int done = 0, at = 0;
  for (int i = 0; i < total; ++i) {
    const auto& ex = catalog.exercises[static_cast<std::size_t>(i)];
    done += progress.get(ex.slug).done;
    if (ex.slug == current) at = i;
  }
  // One line for the count; when the rest cannot hold every exercise, a
  // window around the current one and a line each for what is cut off.
  int room = max_lines > 0 ? max_lines - 1 : total;
  int first = 0, last = total;
  if (room < total) {
    room = std::max(1, room - 2);
    first = std::clamp(at - room / 2, 0, total - room);
    last = first + room;
  }
  if (first > 0) ctx.out << s.dim(fmt::format("  ... {} more above", first)) << "\n";
  for (int i = first; i < last; ++i) {
    const auto& ex = catalog.exercises[static_cast<std::size_t>(i)];
    auto p = progress.get(ex.slug);
    auto status = p.done ? s.green("done   ") : p.attempted ? s.yellow("failing") : s.dim("-      ");
    ctx.out << fmt::format("{} {} {:<26} {}\n", ex.slug == current ? ">" : " ", status, ex.slug, ex.title);
  }
  if (last < total) ctx.out << s.dim(fmt::format("  ... {} more below", total - last)) << "\n";
  ctx.out << fmt::format("{} of {} done\n", done, total);
  return kExitPass;
}

}  // namespace grader
