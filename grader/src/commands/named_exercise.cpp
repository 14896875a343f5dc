#include "commands/named_exercise.hpp"

#include "select/selection.hpp"

namespace grader {

const Exercise* named_exercise(Context& ctx, const Catalog& catalog, const std::string& name) {
  std::string error;
  const auto* found = select_one(catalog.exercises, name, error);
  if (!found) ctx.err << "grader: error: " << error << "\n";
  return found;
}

}  // namespace grader
