// cpu_count.hpp: how many processes (or threads) can really run at once
// here, and how big a pool to make. Not the number of CPUs in the machine:
// the affinity mask (sched_getaffinity) may allow fewer, and a cgroup v2
// cpu.max quota may allow less CPU time than that. Where those facts come
// from is injectable (SystemView), so tests can fake them.
#pragma once

#include <sched.h>

#include <filesystem>
#include <functional>
#include <optional>

namespace cpus {

/// The real affinity mask of this process: sched_getaffinity(0, ...).
cpu_set_t current_affinity();

/// Where the facts are read from. The defaults are the real system; tests
/// point them at a temporary directory and a fake mask.
struct SystemView {
  /// Where the cgroup v2 hierarchy is mounted.
  std::filesystem::path cgroup_root = "/sys/fs/cgroup";
  /// The file naming this process's cgroup: its line "0::/some/path" is the
  /// path of the process's cgroup below cgroup_root.
  std::filesystem::path proc_self_cgroup = "/proc/self/cgroup";
  /// The affinity mask: the CPUs the scheduler may run this process on.
  std::function<cpu_set_t()> affinity = current_affinity;
};

/// How many CPUs the affinity mask allows (CPU_COUNT); at least 1.
int affinity_cpus(const SystemView& view = {});

/// The CPU limit of the cgroup v2 quota, in whole CPUs rounded up: each
/// cpu.max ("QUOTA PERIOD" in microseconds, or "max PERIOD") from the
/// process's cgroup up to the root counts, and the smallest limit wins.
/// nullopt when no cgroup sets a limit, or nothing can be read. A file that
/// cannot be parsed sets no limit. A quota below one CPU gives 1.
std::optional<int> cgroup_cpu_limit(const SystemView& view = {});

/// CPUs this process can use at once: the smaller of affinity_cpus and
/// cgroup_cpu_limit; always at least 1.
int usable_cpus(const SystemView& view = {});

enum class Work {
  cpu,  ///< computes all the time: one worker per usable CPU
  io,   ///< mostly waits (disk, network): more workers than CPUs pay off
};

/// The pool size for that kind of work: cpu -> usable_cpus;
/// io -> min(32, usable_cpus + 4) (Python's ThreadPoolExecutor rule).
int pool_size(Work work, const SystemView& view = {});

}  // namespace cpus
