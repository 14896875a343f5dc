// build: configure a profile's build tree and build test binaries.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "paths.hpp"
#include "process/process.hpp"

namespace grader {

/// Bounds of every compiler and linker process: a template bomb or an
/// `#include "/dev/zero"` ends as a build error instead of filling the machine.
inline constexpr int kCompileCpuSeconds = 300;
inline constexpr std::size_t kCompileMemory = std::size_t{4} << 30;

struct BuildRequest {
  std::string tree;                  // build/<tree>, configured by the CMake preset of that name
  std::vector<std::string> targets;  // "<slug>.<implementation>"
  int jobs = 0;                      // 0: the number of cores
  std::optional<RunAs> run_as;       // CMake and the compilers run as this user (the tree becomes theirs)
  std::function<void(int done, int total)> on_progress;  // ninja's [N/M], as it builds
  bool link_compile_commands = false;  // a compile_commands.json symlink at the root (for IDEs)
  int compile_cpu_seconds = kCompileCpuSeconds;  // each compiler's CPU time (tests set less)
  bool background = false;  // at idle priority, beside tests that run meanwhile (ProcessSpec::background)
  std::string log_name = "last-build.log";  // the whole build's output, in the tree (another build may run on)
};

struct BuildOutcome {
  bool configured = false;
  std::string configure_log;                 // when configuring failed
  std::map<std::string, std::string> failed; // target -> its compiler/linker output
  std::string log_path;                      // the whole build log
  std::vector<std::string> rebuilt_after_save;  // learner's files saved during a build, built again
  std::vector<std::string> saved_during_build;  // still changing after the last round: the build may hold old text
};

/// Configures build/<tree> when needed, then builds the targets in one ninja
/// run that keeps going past failures; a failed target's old binary is
/// removed, so it is never graded as the new code. The learner's
/// files are judged by content: objects compiled from text that is no longer
/// on disk are rebuilt, and a save during the build means building again.
BuildOutcome build_targets(ProcessRunner& runner, const Paths& paths, const BuildRequest& request);

/// What a compiler's end says about its limits, or "": killed for CPU time
/// (a template or constexpr evaluation that never ends) or out of memory.
std::string explain_compile_limits(const std::string& compiler_output, int cpu_seconds);

/// Splits ninja's output into the failed targets' own output
/// ("FAILED: CMakeFiles/<target>.dir/..." or "FAILED: bin/<slug>/<impl>").
std::map<std::string, std::string> failures_by_target(const std::string& ninja_output);

}  // namespace grader
