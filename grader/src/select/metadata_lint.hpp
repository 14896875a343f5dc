// select: what the self-check finds wrong in an exercise before building it.
#pragma once

#include <string>
#include <vector>

#include "model.hpp"
#include "paths.hpp"

namespace grader {

/// A learner's copy (./kata export) has no solutions/ and no mutants: its
/// self-check proves that every stub builds and fails its tests.
bool is_learner_copy(const Paths& paths);

/// kata.json against the files: every learner file on both sides, a README,
/// the question in Russian, two hints or more, mutants that can be built,
/// coverage exclusions that say why.
std::vector<std::string> metadata_problems(const Paths& paths, const Exercise& exercise,
                                           const std::vector<Mutant>& mutants);

/// Every numbered requirement of the README is checked by a test tagged
/// [req:N], and every such tag names a requirement.
std::vector<std::string> requirement_problems(const Paths& paths, const Exercise& exercise);

}  // namespace grader
