// cpu_count.cpp: the CPUs this process may use are bounded twice. The
// affinity mask says on which CPUs the scheduler may run it; the cgroup's
// cpu.max says how much CPU time it gets per period (150000 us per 100000
// us = 1.5 CPUs: round up to 2 workers). The smaller bound wins, and nothing
// here may ever return 0: a pool of 0 workers runs nothing.
#include "cpu_count.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

namespace cpus {
namespace {

/// Parses one cpu.max: "QUOTA PERIOD" -> ceil(QUOTA / PERIOD), at least 1;
/// "max PERIOD" or anything malformed -> nullopt (no limit from this file).
std::optional<int> parse_cpu_max(const std::string& text) {
  std::istringstream in(text);
  std::string quota_text, period_text;
  if (!(in >> quota_text)) return std::nullopt;
  if (quota_text == "max") return std::nullopt;  // no quota
  if (!(in >> period_text)) return std::nullopt;
  // from_chars: no exceptions, no locale, and it rejects "12abc" when we
  // check that it consumed everything. Negative numbers fail as unsigned.
  auto parse = [](const std::string& s, unsigned long long& out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
  };
  unsigned long long quota = 0, period = 0;
  if (!parse(quota_text, quota) || !parse(period_text, period)) return std::nullopt;
  if (quota == 0 || period == 0) return std::nullopt;  // nonsense: no division by zero
  // Round up: 1.5 CPUs of time keep 2 workers busy part of the time; 1 would
  // leave half a CPU unused. A quota below one CPU still needs one worker.
  // (quota + period - 1) / period would wrap for a quota near the maximum.
  const unsigned long long limit = quota / period + (quota % period != 0 ? 1 : 0);
  return static_cast<int>(std::min<unsigned long long>(limit, 1 << 20));
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The path of this process's cgroup v2 from /proc/self/cgroup ("0::/a/b"
/// -> "a/b"), or nullopt. Lines of cgroup v1 controllers ("4:cpu:/x") are
/// not v2 and are skipped.
std::optional<std::filesystem::path> own_cgroup(const SystemView& view) {
  std::ifstream in(view.proc_self_cgroup);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("0::", 0) == 0) {
      std::string path = line.substr(3);
      while (!path.empty() && path.front() == '/') path.erase(0, 1);
      return std::filesystem::path(path);
    }
  }
  return std::nullopt;
}

}  // namespace

cpu_set_t current_affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  // sizeof(cpu_set_t) covers 1024 CPUs; beyond that CPU_ALLOC is needed.
  if (::sched_getaffinity(0, sizeof set, &set) != 0) CPU_ZERO(&set);
  return set;
}

int affinity_cpus(const SystemView& view) {
  const cpu_set_t set = view.affinity ? view.affinity() : current_affinity();
  // An empty mask cannot really happen (the process runs somewhere), but a
  // failed call leaves one: 1 is the only safe answer.
  return std::max(1, CPU_COUNT(&set));
}

std::optional<int> cgroup_cpu_limit(const SystemView& view) {
  const auto cgroup = own_cgroup(view);
  if (!cgroup) return std::nullopt;
  // A parent's quota binds its children too: walk from our cgroup up to
  // the root, and keep the smallest limit.
  std::optional<int> limit;
  std::filesystem::path relative = cgroup->lexically_normal();
  for (;;) {
    if (auto text = read_file(view.cgroup_root / relative / "cpu.max")) {
      if (auto here = parse_cpu_max(*text)) limit = limit ? std::min(*limit, *here) : *here;
    }
    if (relative.empty() || relative == ".") break;
    relative = relative.parent_path();
  }
  return limit;
}

int usable_cpus(const SystemView& view) {
  const int by_affinity = affinity_cpus(view);
  const auto by_quota = cgroup_cpu_limit(view);
  return std::max(1, by_quota ? std::min(by_affinity, *by_quota) : by_affinity);
}

int pool_size(Work work, const SystemView& view) {
  const int cpus = usable_cpus(view);
  // CPU-bound: more workers than CPUs only adds switching. I/O-bound: the
  // workers mostly wait, so a few more keep the CPUs busy; the cap of 32
  // keeps a big machine from opening hundreds of connections or files.
  return work == Work::cpu ? cpus : std::min(32, cpus + 4);
}

}  // namespace cpus
