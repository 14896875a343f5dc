// The one exercise that hint, reset and solution are named for.
#pragma once

#include <string>

#include "commands/context.hpp"
#include "select/catalog.hpp"

namespace grader {

/// The exercise of `catalog` that `name` names (slug, number or name); null,
/// with "grader: error: ..." on ctx.err, when none does.
const Exercise* named_exercise(Context& ctx, const Catalog& catalog, const std::string& name);

}  // namespace grader
