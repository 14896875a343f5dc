// What a pull request changed, sorted with the base's metadata (shared by
// `changed`, which prints it, and `take`, which acts on it).
#pragma once

#include <string>
#include <vector>

#include "commands/context.hpp"
#include "commands/git.hpp"
#include "select/catalog.hpp"

namespace grader {

struct ChangeSet {
  std::vector<std::string> exercises;  // slugs whose learner files changed
  std::vector<std::string> take;       // exercises/<slug>/<file> the metadata lets the learner edit
  std::vector<std::string> ignore;     // every other changed path
};

ChangeSet sort_changes(const Catalog& catalog, const std::vector<std::string>& paths);

/// The changes from the merge base of `base` and `head` to `head`; false,
/// with "grader: error: ..." on ctx.err, when git cannot tell them.
bool changes_between(Context& ctx, const std::string& base, const std::string& head, ChangeSet& out,
                     std::string& merge_base);

}  // namespace grader
