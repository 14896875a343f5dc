// What running one test case leaves behind: the run stage gathers it, the
// collect stage judges it. Neither stage knows the other, only this.
#pragma once

#include <string>

#include "process/process.hpp"

namespace grader {

/// The events of a failure's timeline the evidence keeps (the last ones).
inline constexpr std::size_t kTimelineEvents = 400;

struct CaseEvidence {
  std::string test_name;
  double timeout_s = 0;
  bool skipped = false;          // not run: its group had already failed (a mutant run)
  std::string not_started;       // the run stage could not prepare it (why)
  ProcessResult process;
  bool report_exists = false;
  bool report_cut = false;       // the report passed its size limit and was cut
  std::string report_xml;
  std::string channel_problem;   // something other than the harness wrote to the result channel
  std::string leaked_ipc;        // names left in /dev/shm or /dev/mqueue with the run's prefix
  int run = 1, runs = 1;         // with several schedules: which run this is, of how many planned
  std::string seed;              // ... and its KATA_SEED (empty with one run)
  std::string trace;             // the tail of the explore scheduler's event trace, when it recorded one
};

}  // namespace grader
