// report: a failing test case's schedule as an HTML page with one SVG lane
// per thread, drawn from the explore scheduler's event trace
// (tests/support/explore/explore.cpp). Static: no script, nothing loaded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model.hpp"

namespace grader {

/// One scheduling point: "step virtual-ns T<thread> operation [object]".
struct TraceEvent {
  std::uint64_t step = 0;
  std::int64_t vt_ns = 0;
  int thread = 0;
  std::string op;      // "lock", "wait", "woken", ...
  std::string object;  // "m3", "c2", "" for none
};

struct Trace {
  std::vector<TraceEvent> events;  // in step order
  std::vector<std::string> notes;  // the "# ..." lines: why the run ended
};

/// The trace's events and notes. A line that is neither a well-formed event
/// nor a note is skipped (the file is the test process's to write).
Trace parse_trace(const std::string& text);

/// What the page shows besides the events.
struct TimelinePage {
  std::string exercise;        // slug
  std::string implementation;  // "exercise", "solution", "mutant.x"
  std::string profile;
  std::string test_name;
  std::string status;   // "fail", "crashed", ...
  std::string message;  // the verdict's text and the test's output: the assertion, the deadlock's cycle, file:line
  std::string trace;    // the trace text (parse_trace)
};

/// The page: HTML with inline SVG and CSS, every text from the test escaped.
std::string timeline_html(const TimelinePage& page);

/// Where a test's page goes, relative to the reports folder: timeline/<slug>.<implementation>.<n>.html
/// (n: the test's index among the exercise's tests).
std::string timeline_file(const ExerciseResult& r, std::size_t test_index);

/// Whether the test gets a page: it did not pass and left events.
bool has_timeline(const TestResult& t);

}  // namespace grader
