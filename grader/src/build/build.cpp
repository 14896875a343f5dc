#include "build/build.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "build/source_snapshot.hpp"

namespace grader {
namespace fs = std::filesystem;

std::map<std::string, std::string> failures_by_target(const std::string& output) {
  static const std::regex object_re(R"(CMakeFiles/([^/ ]+)\.dir/)");
  static const std::regex binary_re(R"(bin/([^/ ]+)/([^/ ]+)\s*$)");
  std::map<std::string, std::string> failed;
  std::istringstream in(output);
  std::string line, current;
  while (std::getline(in, line)) {
    if (line.rfind("FAILED: ", 0) == 0) {
      std::smatch m;
      current.clear();
      if (std::regex_search(line, m, object_re)) current = m[1].str();
      else if (std::regex_search(line, m, binary_re)) current = m[1].str() + "." + m[2].str();
      else current = "(build)";
      failed[current];
      continue;
    }
    if (line.rfind("[", 0) == 0 && line.find("] ") != std::string::npos) {
      current.clear();  // the next progress line ends a failure's output
      continue;
    }
    if (line.rfind("ninja: ", 0) == 0) {
      current.clear();
      continue;
    }
    if (!current.empty()) failed[current] += line + "\n";
  }
  return failed;
}

namespace {

// True when the tree's cache points at the same tests and exercises folders
// (an instructor's --tests DIR must reconfigure, not reuse the old ones) and
// builds every exercise (a tree configured by hand with KATA_ONLY does not).
bool configured_for(const fs::path& tree, const Paths& paths) {
  std::ifstream cache(tree / "CMakeCache.txt");
  std::string line, tests, exercises, only;
  while (std::getline(cache, line)) {
    if (line.rfind("KATA_ONLY:", 0) == 0) only = line.substr(line.find('=') + 1);
    if (line.rfind("KATA_TESTS_DIR:", 0) == 0) tests = line.substr(line.find('=') + 1);
    if (line.rfind("KATA_EXERCISES_DIR:", 0) == 0) exercises = line.substr(line.find('=') + 1);
  }
  return tests == paths.tests.string() && exercises == paths.exercises.string() && only.empty();
}

// CMake's warnings that mention the exercise.
std::string warnings_about(const std::string& output, const std::string& slug) {
  std::istringstream in(output);
  std::string line, out;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("CMake Warning", 0) == 0) inside = false;
    if (line.find(slug) != std::string::npos && line.find("CMake Warning") == std::string::npos) inside = true;
    if (inside && !line.empty()) out += line + "\n";
    if (line.empty()) inside = false;
  }
  return out.empty() ? "(see the configure log)" : out;
}

// The learner's folder of a target, whose saves can race its build; empty for
// the solutions and mutants, which nobody edits while grading.
fs::path learner_dir(const Paths& paths, const std::string& target) {
  auto dot = target.find('.');
  if (dot == std::string::npos || target.substr(dot + 1) != "exercise") return {};
  return paths.exercises / target.substr(0, dot);
}

fs::path record_of(const fs::path& tree, const std::string& target) { return tree / "sources" / (target + ".txt"); }

bool is_compiled(const std::string& name) {
  auto ext = fs::path(name).extension().string();
  return ext == ".cpp" || ext == ".cc" || ext == ".cxx" || ext == ".c";
}

// Makes ninja recompile what was compiled from text no longer on disk, whatever
// the file times say: a changed .cpp's object, or for a changed header every
// object of the target.
void forget_objects(const fs::path& tree, const std::string& target, const std::vector<std::string>& changed) {
  bool header = false;
  std::set<std::string> objects;
  for (const auto& name : changed) {
    if (is_compiled(name)) objects.insert(name + ".o");
    else header = true;
  }
  std::error_code ec;
  for (fs::recursive_directory_iterator it(tree / "CMakeFiles" / (target + ".dir"), ec), end; !ec && it != end;
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (it->path().extension() == ".o" && (header || objects.count(name))) fs::remove(it->path(), ec);
  }
}

// Compares each learner folder with what its target was last built from (all
// of it is suspect when nothing was recorded, e.g. after an interrupted build).
std::map<std::string, SourceSnapshot> prepare_learner_sources(const Paths& paths, const fs::path& tree,
                                                               const std::vector<std::string>& targets) {
  std::map<std::string, SourceSnapshot> at_start;
  for (const auto& target : targets) {
    auto dir = learner_dir(paths, target);
    if (dir.empty()) continue;
    auto now = snapshot_sources(dir);
    SourceSnapshot built;
    if (load_snapshot(record_of(tree, target), built)) forget_objects(tree, target, changed_sources(built, now));
    else forget_objects(tree, target, {"(no record)"});
    fs::remove(record_of(tree, target));
    at_start[target] = std::move(now);
  }
  return at_start;
}

}  // namespace

std::string explain_compile_limits(const std::string& output, int cpu_seconds) {
  auto has = [&](const char* text) { return output.find(text) != std::string::npos; };
  // SIGXCPU reaches g++'s driver as "Killed signal", clang's as "CPU time limit exceeded".
  if (has("CPU time limit exceeded") || has("Killed signal terminated program") || has("signal 24"))
    return fmt::format("\nthe compiler was stopped after {} s of CPU time: a template instantiation or constexpr "
                       "evaluation that does not end (or grows without bound)?", cpu_seconds);
  if (has("out of memory") || has("std::bad_alloc") || has("virtual memory exhausted") || has("Cannot allocate memory"))
    return fmt::format("\nthe compiler ran out of its {} GiB of memory: a template instantiation that grows without "
                       "bound, or an #include of something that is not source?", kCompileMemory >> 30);
  return "";
}

BuildOutcome build_targets(ProcessRunner& runner, const Paths& paths, const BuildRequest& request) {
  BuildOutcome outcome;
  auto tree = paths.tree(request.tree);
  fs::create_directories(tree);
  if (request.run_as && ::chown(tree.c_str(), request.run_as->first, request.run_as->second) != 0) {
    outcome.configure_log = "cannot hand " + tree.string() + " to the user the build runs as";
    return outcome;
  }
  outcome.log_path = (tree / request.log_name).string();

  ProcessSpec configure;
  configure.cwd = paths.root;
  configure.timeout = std::chrono::minutes(5);
  configure.run_as = request.run_as;
  configure.argv = {"cmake", "--preset", request.tree, "-B", tree.string(), "-DKATA_TESTS_DIR=" + paths.tests.string(),
                    "-DKATA_EXERCISES_DIR=" + paths.exercises.string(), "-DKATA_ONLY="};
  // A tree configured before is not configured again: the build below lets
  // ninja re-run CMake first when a kata.json, CMake file or globbed folder
  // changed, so an unchanged tree costs one ninja start, not two.
  ProcessResult r;
  const bool configure_now = !fs::exists(tree / "build.ninja") || !configured_for(tree, paths);
  if (configure_now) {
    r = runner.run(configure);
    std::ofstream(tree / "last-configure.log") << (r.started ? r.output : r.start_error);
    if (!r.exited_ok()) {
      outcome.configure_log = r.started ? r.output : r.start_error;
      return outcome;
    }
  }
  outcome.configured = true;
  // clangd and IDEs find the learner's compile flags at the root.
  if (request.link_compile_commands && !fs::exists(fs::symlink_status(paths.root / "compile_commands.json"))) {
    std::error_code ec;
    fs::create_symlink(fs::relative(tree / "compile_commands.json", paths.root), paths.root / "compile_commands.json", ec);
  }

  // Targets CMake skipped (a broken kata.json, a missing file) are failures of
  // their own; asking ninja for them would fail the whole build. The list is
  // current right after a configure; otherwise only once ninja has re-run
  // CMake, so it is read when ninja names a target it does not know.
  auto keep_known = [&](const std::string& cmake_output) {
    std::set<std::string> known;
    std::ifstream list(tree / "kata-targets.txt");
    for (std::string line; std::getline(list, line);)
      if (!line.empty()) known.insert(line);
    std::vector<std::string> kept;
    for (const auto& t : request.targets) {
      if (known.count(t)) {
        kept.push_back(t);
      } else {
        outcome.failed[t] = "CMake did not create the target " + t + " (its kata.json or files are broken):\n" +
                            warnings_about(cmake_output, t.substr(0, t.find('.')));
      }
    }
    return kept;
  };
  std::vector<std::string> targets = configure_now ? keep_known(r.output) : request.targets;
  if (targets.empty()) return outcome;

  int jobs = request.jobs > 0 ? request.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ProcessSpec build;
  build.cwd = paths.root;
  build.timeout = std::chrono::minutes(60);
  build.output_cap = 8 * 1024 * 1024;
  build.run_as = request.run_as;
  std::string pending;  // ninja's status lines: "[12/40] Building CXX object ..."
  if (request.on_progress)
    build.on_output = [&](const char* data, std::size_t n) {
      pending.append(data, n);
      for (std::size_t eol; (eol = pending.find('\n')) != std::string::npos; pending.erase(0, eol + 1)) {
        int done = 0, total = 0;
        if (std::sscanf(pending.c_str(), "[%d/%d]", &done, &total) == 2) request.on_progress(done, total);
      }
    };
  build.cpu_limit_s = request.compile_cpu_seconds;  // each compiler's own, inherited through ninja
  build.memory_limit = kCompileMemory;
  build.background = request.background;
  auto build_rounds = [&] {
    build.argv = {"cmake", "--build", tree.string(), "-j", std::to_string(jobs), "--"};
    build.argv.push_back("-k0");
    for (const auto& t : targets) build.argv.push_back(t);
    // A save can land while the compiler runs: it read the old text, yet its
    // object ends up newer than the source, and ninja would never rebuild it.
    // So the learner's files are compared by content before and after, and a
    // build whose text changed meanwhile is built again before anyone grades it.
    constexpr int kMaxRounds = 3;
    for (int round = 1;; ++round) {
      auto at_start = prepare_learner_sources(paths, tree, targets);
      r = runner.run(build);
      std::vector<std::string> changed;
      for (const auto& [target, snapshot] : at_start) {
        save_snapshot(record_of(tree, target), snapshot);
        for (const auto& name : changed_sources(snapshot, snapshot_sources(learner_dir(paths, target))))
          changed.push_back((learner_dir(paths, target) / name).string());
      }
      if (changed.empty() || round == kMaxRounds) {
        outcome.saved_during_build = changed;
        break;
      }
      outcome.rebuilt_after_save.insert(outcome.rebuilt_after_save.end(), changed.begin(), changed.end());
    }
  };
  build_rounds();
  if (!configure_now && !r.exited_ok() && r.started) {
    if (r.output.find("ninja: error: rebuilding 'build.ninja'") != std::string::npos) {
      std::ofstream(tree / "last-configure.log") << r.output;
      outcome.configured = false;
      outcome.configure_log = r.output;
      return outcome;
    }
    if (r.output.find("ninja: error: unknown target") != std::string::npos) {
      targets = keep_known(r.output);
      if (targets.empty()) return outcome;
      build_rounds();
    }
  }
  std::ofstream(outcome.log_path) << (r.started ? r.output : r.start_error);

  if (!r.exited_ok()) {
    // A binary stays in place when its target is up to date (so an unchanged
    // one keeps its stamp and its results can be reused), but never after its
    // build failed: an old binary must not be graded as the new code. A
    // failure ninja did not attribute to a target (a shared step, CMake
    // re-running and failing on a kata.json) fails every target.
    outcome.failed = failures_by_target(r.output);
    const bool unattributed = outcome.failed.count("(build)") || outcome.failed.empty();
    for (const auto& target : targets) {
      if (!unattributed && !outcome.failed.count(target)) continue;
      auto dot = target.find('.');
      fs::remove(tree / "bin" / target.substr(0, dot) / target.substr(dot + 1));
      if (!outcome.failed.count(target))
        outcome.failed[target] = outcome.failed.count("(build)") ? outcome.failed["(build)"] : r.output;
    }
    outcome.failed.erase("(build)");
    for (auto& [target, words] : outcome.failed) words += explain_compile_limits(words, request.compile_cpu_seconds);
  }
  return outcome;
}

}  // namespace grader
