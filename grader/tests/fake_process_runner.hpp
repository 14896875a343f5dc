// A ProcessRunner that runs nothing (as ninja's FakeCommandRunner): it plays
// CMake, ninja and Catch2 test binaries from a script, and records every
// ProcessSpec it was given, so the pipeline's stages and the commands are
// tested in milliseconds.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "process/process.hpp"
#include "run/result_channel.hpp"
#include "write_file.hpp"

namespace grader {

class FakeProcessRunner : public ProcessRunner {
 public:
  // Script: the tests of each binary (path ending "bin/<slug>/<impl>" -> name -> passes),
  // their tags, and the targets whose build fails (with the compiler's words).
  std::map<std::string, std::map<std::string, bool>> tests_of;  // "<slug>/<impl>" -> test -> passes
  std::set<std::string> timing_tests, hidden_tests;
  std::map<std::string, std::set<std::string>> fails_with_seed;  // test -> KATA_SEEDs it fails under
  std::map<std::string, std::set<std::string>> fails_under;      // test -> profiles it fails under
  std::map<std::string, std::string> failing_targets;           // "<slug>.<impl>" -> compiler output
  std::set<std::string> relink;                                  // targets whose inputs changed: built again
  // Any other program (git, ...): its answer, by the words of its command line;
  // a command line the script does not name exits 128, as git does for a bad revision.
  std::map<std::vector<std::string>, std::string> output_of;
  std::map<std::vector<std::string>, std::string> failure_of;  // command lines that exit 128 saying this
  // The files (path -> text) a command line writes under its cwd when it
  // succeeds, as tar -x does; an absolute path is written where it says.
  std::map<std::vector<std::string>, std::map<std::string, std::string>> files_of;
  std::set<std::string> programs{"git"};                         // answered from output_of, never as tests

  // The profile a test process runs under: its shim's, or its build tree's
  // (the binary is <tree>/bin/<slug>/<impl>).
  static std::string profile_of(const ProcessSpec& spec) {
    for (const auto& [k, v] : spec.env)
      if (k == "LD_PRELOAD") {
        if (v.find("kata_noise") != std::string::npos) return "noise";
        if (v.find("kata_explore") != std::string::npos) return "explore";
      }
    return std::filesystem::path(spec.argv.at(0)).parent_path().parent_path().parent_path().filename().string();
  }

  std::vector<ProcessSpec> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

  ProcessResult run(const ProcessSpec& spec) override {
    {
      std::lock_guard lock(mutex_);
      calls_.push_back(spec);
    }
    ProcessResult r;
    r.started = true;
    r.exit_code = 0;
    const auto& a = spec.argv;
    if (a.size() >= 5 && a[0] == "cmake" && a[1] == "--preset") return configure(a);
    if (a.size() >= 3 && a[0] == "cmake" && a[1] == "--build") return build(a);
    if (!a.empty() && programs.count(a[0])) {
      auto it = output_of.find(a);
      if (auto f = failure_of.find(a); f != failure_of.end()) {
        r.exit_code = 128;
        r.output = f->second;
      } else if (it == output_of.end()) {
        r.exit_code = 128;
      } else {
        r.output = it->second;
        if (auto files = files_of.find(a); files != files_of.end())
          for (const auto& [path, text] : files->second) write_file(spec.cwd / path, text);
      }
      return r;
    }
    auto binary = std::filesystem::path(a.at(0));
    auto key = binary.parent_path().filename().string() + "/" + binary.filename().string();
    auto& tests = tests_of[key];
    if (a.size() >= 2 && a[1] == "--list-test-names-only") {
      std::string names, tags;
      for (const auto& [name, passes] : tests) {
        bool wanted = a.size() < 3 || (a[2] == "[timing]" && timing_tests.count(name)) ||
                      (a[2] == "[hidden]" && hidden_tests.count(name));
        if (!wanted) continue;
        names += name + "\n";
        tags += std::string("[req:1]") + (timing_tests.count(name) ? "[timing]" : "") +
                (hidden_tests.count(name) ? "[hidden]" : "") + "\t" + name + "\n";
      }
      r.channel = channel_frame(spec.secret, "tags", tags) + channel_frame(spec.secret, "list", names);
      return r;
    }
    // A test run: argv[1] is the (escaped) test name; plain names are their own spec.
    auto name = a.at(1);
    auto it = tests.find(name);
    bool passes = it != tests.end() && it->second;
    for (const auto& [k, v] : spec.env)
      if (k == "KATA_SEED" && fails_with_seed[name].count(v)) passes = false;
    if (fails_under.count(name) && fails_under[name].count(profile_of(spec))) passes = false;
    r.exit_code = passes ? 0 : 1;
    r.channel = channel_frame(spec.secret, "report", report(name, passes));
    r.seconds = 0.01;
    return r;
  }

 private:
  ProcessResult configure(const std::vector<std::string>& a) {
    std::filesystem::path tree = a[4];
    std::filesystem::create_directories(tree);
    std::ofstream(tree / "build.ninja") << "# fake\n";
    // The cache keeps the -D settings: KATA_TESTS_DIR:PATH=...
    std::ofstream cache(tree / "CMakeCache.txt");
    for (const auto& arg : a)
      if (arg.rfind("-D", 0) == 0) cache << arg.substr(2, arg.find('=') - 2) << ":STRING" << arg.substr(arg.find('=')) << "\n";
    std::ofstream list(tree / "kata-targets.txt");
    for (const auto& [key, tests] : tests_of) list << key.substr(0, key.find('/')) << "." << key.substr(key.find('/') + 1) << "\n";
    for (const auto& [target, words] : failing_targets) list << target << "\n";
    list << "kata_noise\nkata_explore\n";
    ProcessResult r;
    r.started = true;
    r.exit_code = 0;
    return r;
  }

  ProcessResult build(const std::vector<std::string>& a) {
    std::filesystem::path tree = a[2];
    ProcessResult r;
    r.started = true;
    r.exit_code = 0;
    auto dashes = std::find(a.begin(), a.end(), "--");
    // As ninja: a target the build files do not have stops the build before it starts.
    std::set<std::string> known;
    std::ifstream list(tree / "kata-targets.txt");
    for (std::string line; std::getline(list, line);) known.insert(line);
    for (auto t = dashes == a.end() ? a.end() : dashes + 1; t != a.end(); ++t) {
      if (t->rfind("-", 0) == 0 || known.count(*t)) continue;
      r.output = "ninja: error: unknown target '" + *t + "'\n";
      r.exit_code = 1;
      return r;
    }
    for (auto t = dashes == a.end() ? a.end() : dashes + 1; t != a.end(); ++t) {
      if (t->rfind("-", 0) == 0 || t->rfind("kata_", 0) == 0) continue;
      auto dot = t->find('.');
      auto bin = tree / "bin" / t->substr(0, dot) / t->substr(dot + 1);
      if (auto f = failing_targets.find(*t); f != failing_targets.end()) {
        r.output += "FAILED: bin/" + t->substr(0, dot) + "/" + t->substr(dot + 1) + "\n" + f->second + "\n";
        r.exit_code = 1;
        continue;
      }
      if (std::filesystem::exists(bin) && !relink.count(*t)) continue;  // up to date, as ninja leaves it
      relink.erase(*t);
      std::filesystem::create_directories(bin.parent_path());
      std::ofstream(bin) << "fake binary, built " << ++builds_ << " \n";
    }
    return r;
  }

  static std::string report(const std::string& name, bool passes) {
    std::string result = passes ? "true" : "false";
    std::string expression = passes ? "" : R"(<Expression success="false" type="REQUIRE" filename="/r/tests/x_test.cpp" line="7">
          <Original>value == 42</Original><Expanded>41 == 42</Expanded></Expression>)";
    return R"(<?xml version="1.0" encoding="UTF-8"?>
<Catch name="fake"><Group name="fake"><TestCase name=")" + name + R"(" tags="" filename="/r/tests/x_test.cpp" line="3">)" +
           expression + R"(<OverallResult success=")" + result + R"("/></TestCase></Group>
<OverallResults successes="0" failures="0" expectedFailures="0"/></Catch>
)";
  }

  int builds_ = 0;
  std::mutex mutex_;
  std::vector<ProcessSpec> calls_;
};

}  // namespace grader
