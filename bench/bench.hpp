// bench.hpp: what a benchmark case is. Each case measures the reference
// solution and a production library doing the same work; main.cpp runs the two
// alternately, several times, and prints the medians side by side.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace bench {

/// One measurement: a throughput (items per second) or, for idle cases, the
/// CPU used as a percentage of wall time.
using Measure = std::function<double()>;

struct Case {
  std::string name;       // what is measured, e.g. "pool: 1e6 tiny tasks, post"
  std::string peer;       // the library it is compared with
  std::string unit;       // "items/s" or "% CPU"
  bool higher_is_better;  // throughput: yes; idle CPU: no (no ratio printed)
  Measure reference;
  Measure peer_measure;
};

/// Each *_bench.cpp appends its cases here.
void add_pool_cases(std::vector<Case>& cases);
void add_loop_cases(std::vector<Case>& cases);
void add_queue_cases(std::vector<Case>& cases);
void add_semaphore_cases(std::vector<Case>& cases);

using Clock = std::chrono::steady_clock;

/// Items per second for `items` done between `start` and now.
inline double rate(double items, Clock::time_point start) {
  return items / std::chrono::duration<double>(Clock::now() - start).count();
}

/// The CPU time this process uses while `idle` holds for 1 s, as a percentage
/// of that wall time (getrusage: user + system time of every thread).
double idle_cpu_percent();

}  // namespace bench
