// main.cpp: runs every case through Google Benchmark, reference and peer
// alternately (ref, peer, ref, peer, ...), so both sides see the same machine
// load; then prints one table of medians. Each benchmark body is one full
// workload (Iterations(1)): the figure is the workload's own rate.
#include "bench.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>

#include <sys/resource.h>

namespace bench {

double idle_cpu_percent() {
  auto cpu_seconds = [] {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
  };
  const double cpu_before = cpu_seconds();
  const auto wall_before = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double wall = std::chrono::duration<double>(Clock::now() - wall_before).count();
  return 100.0 * (cpu_seconds() - cpu_before) / wall;
}

}  // namespace bench

namespace {

/// Collects every run's figure by name instead of printing it.
class Collector : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      auto it = run.counters.find("value");
      if (it != run.counters.end()) figures[run.run_name.function_name].push_back(it->second.value);
    }
  }
  std::map<std::string, std::vector<double>> figures;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string human(double value, const std::string& unit) {
  char text[32];
  if (unit != "items/s") {
    std::snprintf(text, sizeof text, "%.2f %%", value);
  } else if (value >= 1e6) {
    std::snprintf(text, sizeof text, "%.2f M/s", value / 1e6);
  } else {
    std::snprintf(text, sizeof text, "%.0f k/s", value / 1e3);
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  int repetitions = 5;
  if (const char* env = std::getenv("KATA_BENCH_REPETITIONS")) repetitions = std::max(1, std::atoi(env));
  benchmark::Initialize(&argc, argv);

  std::vector<bench::Case> cases;
  bench::add_pool_cases(cases);
  bench::add_loop_cases(cases);
  bench::add_queue_cases(cases);
  bench::add_semaphore_cases(cases);

  // KATA_BENCH_FILTER=text keeps only the cases whose name contains it.
  if (const char* filter = std::getenv("KATA_BENCH_FILTER")) {
    std::erase_if(cases, [filter](const bench::Case& c) { return c.name.find(filter) == std::string::npos; });
  }

  // Alternate: every case's reference, then its peer, then the next case;
  // the whole round `repetitions` times. A burst of load from elsewhere then
  // hits both sides of a case about equally.
  for (int rep = 0; rep < repetitions; ++rep) {
    for (std::size_t i = 0; i < cases.size(); ++i) {
      for (int side = 0; side < 2; ++side) {
        const std::string name = std::to_string(i) + (side == 0 ? "/reference" : "/peer");
        bench::Measure measure = side == 0 ? cases[i].reference : cases[i].peer_measure;
        benchmark::RegisterBenchmark(name.c_str(), [measure](benchmark::State& state) {
          for (auto _ : state) state.counters["value"] = measure();
        })->Iterations(1)->UseRealTime();
      }
    }
  }
  Collector collector;
  std::fprintf(stderr, "bench: %zu cases x 2 sides x %d repetitions...\n", cases.size(), repetitions);
  benchmark::RunSpecifiedBenchmarks(&collector);

  std::printf("%-50s %-28s %10s %10s %6s\n", "case (median of runs)", "peer", "reference", "peer", "ratio");
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const double ref = median(collector.figures[std::to_string(i) + "/reference"]);
    const double peer = median(collector.figures[std::to_string(i) + "/peer"]);
    char ratio[16] = "-";
    if (c.higher_is_better && peer > 0) std::snprintf(ratio, sizeof ratio, "%.2fx", ref / peer);
    std::printf("%-50s %-28s %10s %10s %6s\n", c.name.c_str(), c.peer.c_str(), human(ref, c.unit).c_str(),
                human(peer, c.unit).c_str(), ratio);
    if (std::getenv("KATA_BENCH_VERBOSE")) {
      for (const char* side : {"/reference", "/peer"}) {
        std::fprintf(stderr, "  %s:", side + 1);
        for (double v : collector.figures[std::to_string(i) + side]) std::fprintf(stderr, " %s", human(v, c.unit).c_str());
        std::fprintf(stderr, "\n");
      }
    }
  }
  std::printf("ratio = reference / peer (higher is better for the reference); %d runs per side, alternated.\n",
              repetitions);
  benchmark::Shutdown();
  return 0;
}
