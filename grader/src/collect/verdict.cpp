#include "collect/verdict.hpp"

#include <csignal>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "collect/catch_xml.hpp"
#include "process/containment.hpp"

namespace grader {
namespace {

// The lines of a sanitizer report worth showing: its title and the frames
// from our own sources.
std::string excerpt(const std::string& output, std::size_t start) {
  std::istringstream in(output.substr(start));
  std::string line, out;
  int lines = 0, frames = 0;
  while (std::getline(in, line) && lines < 40) {
    bool title = lines == 0;
    bool ours = line.find("/exercises/") != std::string::npos || line.find("/solutions/") != std::string::npos ||
                line.find("/tests/") != std::string::npos || line.find("/impl/") != std::string::npos;
    bool heading = !line.empty() && line[0] != ' ' && line.find("#") == std::string::npos;
    if (title || (ours && frames < 12) || (heading && line.find("SUMMARY") != std::string::npos)) {
      out += line + "\n";
      frames += ours;
    } else if (line.rfind("  ", 0) == 0 && line.find("#") == std::string::npos && !line.empty() && lines < 30) {
      out += line + "\n";  // "  Write of size 4 at ... by thread T1:" and similar
    }
    ++lines;
  }
  return out;
}

std::string output_tail(const std::string& output, std::size_t max = 2000) {
  return output.size() <= max ? output : "...\n" + output.substr(output.size() - max);
}

}  // namespace

std::string find_sanitizer_report(const std::string& output) {
  static const char* markers[] = {"WARNING: ThreadSanitizer:", "ERROR: AddressSanitizer:",
                                  "ERROR: LeakSanitizer:", "runtime error:"};
  std::size_t first = std::string::npos;
  for (const char* m : markers) first = std::min(first, output.find(m));
  if (first == std::string::npos) return "";
  auto line_start = output.rfind('\n', first);
  return excerpt(output, line_start == std::string::npos ? 0 : line_start + 1);
}

std::string summarize_stacks(const std::string& gdb_output) {
  static const std::regex thread_re(R"(^Thread (\d+) .*)");
  static const std::regex frame_re(R"(^#\d+\s+(?:0x[0-9a-f]+ in )?(.+?) (?:\(.*\) )?at (\S+):(\d+))");
  static const std::regex bare_frame_re(R"(^#0\s+(?:0x[0-9a-f]+ in )?(\S+))");
  std::istringstream in(gdb_output);
  std::string line, out;
  int frames_shown = 0;
  bool first_frame = false;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, thread_re)) {
      out += "thread " + m[1].str() + ":\n";
      frames_shown = 0;
      first_frame = true;
      continue;
    }
    if (line.rfind("#", 0) != 0) continue;
    if (first_frame && std::regex_search(line, m, bare_frame_re)) {
      out += "  waiting in " + m[1].str() + "\n";
      first_frame = false;
    }
    if (std::regex_search(line, m, frame_re)) {
      auto file = m[2].str();
      // Our code has absolute paths; glibc's frames are relative (./nptl/...).
      bool ours = file.rfind("/", 0) == 0 && file.rfind("/usr/", 0) != 0 && file.find("catch") == std::string::npos &&
                  file.find("/support/") == std::string::npos;
      if (ours && frames_shown < 6) {
        out += "  at " + file + ":" + m[3].str() + " in " + m[1].str() + "\n";
        ++frames_shown;
      }
    }
  }
  return out;
}

void conceal(TestResult& t) {
  t.output.clear();
  t.trace.clear();  // no timeline page either
  if (t.status == TestStatus::pass || t.status == TestStatus::skipped) return;
  if (t.status == TestStatus::fail) {
    t.message = "this hidden test failed (its checks are not shown)";
    return;
  }
  t.message = t.message.substr(0, t.message.find('\n'));
}

namespace {

// What the test's limits add to its verdict (process/containment.hpp).
void explain_limits(const CaseEvidence& e, TestResult& r) {
  // A cgroup counts refused forks; under RLIMIT_NPROC, fork and
  // pthread_create fail with EAGAIN, whose text the failure shows.
  if (e.process.task_limit_hit || r.message.find("Resource temporarily unavailable") != std::string::npos)
    r.message += fmt::format("\nthe test reached its limit of {} processes and threads, so forks failed: "
                             "a fork bomb, or a thread per task without a bound?", kMaxTestTasks);
  if (r.message.find("bad_alloc") != std::string::npos || r.message.find("allocation-size-too-big") != std::string::npos ||
      r.message.find("requested allocation size") != std::string::npos)
    r.message += fmt::format("\na test process may use at most {} GiB of memory", kTestMemoryLimit >> 30);
}

// The verdict from how the process ended and what its report says.
TestResult judge_process(const CaseEvidence& e) {
  TestResult r;
  r.name = e.test_name;
  r.seconds = e.process.seconds;
  r.output = e.process.output;
  const auto& p = e.process;

  if (!p.started) {
    r.status = TestStatus::error;
    r.message = "could not start the test: " + p.start_error;
    return r;
  }
  if (p.timed_out) {
    r.status = TestStatus::timeout;
    r.message = p.stopped ? fmt::format("timed out after {:g} s: the process was stopped (SIGSTOP?), not running", e.timeout_s)
                          : fmt::format("timed out after {:g} s: likely deadlock or livelock", e.timeout_s);
    if (!p.stacks.empty()) {
      auto summary = summarize_stacks(p.stacks);
      r.message += summary.empty() ? "\n" + output_tail(p.stacks, 1500) : "\nwhere each thread was:\n" + summary;
    }
    return r;
  }
  if (!e.channel_problem.empty()) {
    r.status = TestStatus::error;
    r.message = e.channel_problem;
    return r;
  }
  if (e.report_cut) {
    r.status = TestStatus::error;
    r.message = "the test's report passed 16 MiB and was cut: does a failing check print a huge value?";
    return r;
  }
  if (auto report = find_sanitizer_report(p.output); !report.empty()) {
    r.status = TestStatus::sanitizer;
    r.message = report;
    return r;
  }

  CatchCaseReport report;
  if (e.report_exists) report = parse_catch_xml(e.report_xml, e.test_name);

  if (p.signal != 0) {
    r.status = TestStatus::crashed;
    r.message = "crashed with " + describe_signal(p.signal);
    if (p.signal == SIGSEGV || p.signal == SIGBUS)
      r.message += ": a bad pointer, memory used after it was freed, or a stack overflow (recursion too deep)?";
    // std::terminate says why before it aborts: an exception that escaped a
    // thread or a destructor, or a thread destroyed while joinable.
    if (auto at = p.output.find("terminate called"); at != std::string::npos)
      r.message += "\n" + p.output.substr(at, p.output.find('\n', at) - at);
    if (!report.failure.empty()) r.message += "\n" + report.failure;
    else if (auto at = p.output.find("FatalErrorCondition"); at != std::string::npos) r.message += "\n" + p.output.substr(at, 200);
    return r;
  }
  if (!report.parsed) {
    r.status = TestStatus::error;
    r.message = fmt::format("the test process exited with code {} before the test finished{}", p.exit_code,
                            e.report_exists ? "" : " (it sent no report)");
    if (!p.output.empty()) r.message += "\nlast output:\n" + output_tail(p.output, 800);
    return r;
  }
  if (report.test_cases_run.size() != 1 || report.test_cases_run.front() != e.test_name) {
    r.status = TestStatus::error;
    r.message = fmt::format("selecting the test ran {} test case(s) instead of exactly \"{}\"",
                            report.test_cases_run.size(), e.test_name);
    return r;
  }
  if (!report.std_out.empty() || !report.std_err.empty()) r.output = report.std_out + report.std_err + r.output;
  if (!report.success) {
    r.status = TestStatus::fail;
    r.message = report.failure.empty() ? "the test failed" : report.failure;
    // The test gave up waiting (a hang it detected) and asked for the stacks.
    if (!p.stacks.empty()) {
      auto summary = summarize_stacks(p.stacks);
      r.message += summary.empty() ? "\n" + output_tail(p.stacks, 1500)
                                   : "\nwhere each thread was when the test gave up waiting:\n" + summary;
    }
    return r;
  }
  if (p.exit_code != 0) {
    r.status = TestStatus::error;
    r.message = fmt::format("the test passed but its process exited with code {}", p.exit_code);
    return r;
  }
  if (!e.leaked_ipc.empty()) {
    r.status = TestStatus::fail;
    r.message = "the test left IPC objects behind (removed now): " + e.leaked_ipc;
    return r;
  }
  if (!p.leftovers.empty()) {
    std::string names;
    for (const auto& l : p.leftovers) names += (names.empty() ? "" : ", ") + l;
    r.status = TestStatus::fail;
    r.message = fmt::format("the test left {} process(es) running after it ended (killed now): {}; "
                            "wait for every child you start, or stop it", p.leftovers.size(), names);
    return r;
  }
  r.status = TestStatus::pass;
  return r;
}

}  // namespace

TestResult judge(const CaseEvidence& e) {
  if (e.skipped) {
    TestResult r;
    r.name = e.test_name;
    r.status = TestStatus::skipped;
    r.message = "not run: this run already failed a test";
    return r;
  }
  if (!e.not_started.empty()) {
    TestResult r;
    r.name = e.test_name;
    r.status = TestStatus::error;
    r.message = e.not_started;
    return r;
  }
  auto r = judge_process(e);
  explain_limits(e, r);
  if (e.runs > 1 && r.status != TestStatus::pass)
    r.message += fmt::format("\n(schedule {} of {} tried, seed {}: --seed {} replays it)", e.run, e.runs, e.seed, e.seed);
  if (r.status != TestStatus::pass) r.trace = e.trace;
  return r;
}

}  // namespace grader
