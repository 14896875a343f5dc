// cpu_count.cpp: count the CPUs this process may really use. Two bounds:
// the affinity mask (sched_getaffinity + CPU_COUNT) and the cgroup v2 quota
// (cpu.max "QUOTA PERIOD" -> QUOTA / PERIOD CPUs, rounded up; "max" = none)
// of the process's cgroup and each of its parents. The smaller bound wins;
// no answer is ever below 1. Given: read_file. Yours: the TODOs.
#include "cpu_count.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace cpus {
namespace {

/// The whole file, or nullopt if it cannot be opened.
[[maybe_unused]] std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

[[maybe_unused]] std::optional<int> parse_cpu_max([[maybe_unused]] const std::string& text) {
  // TODO: parse_cpu_max: "150000 100000" -> 2 (ceil), "50000 100000" -> 1,
  // "max 100000" -> nullopt. Anything malformed (not two numbers, negative,
  // zero) -> nullopt, without throwing: std::from_chars does not throw.
  // A limit too large for an int must not wrap: clamp it before the cast.
  throw std::logic_error("TODO: parse_cpu_max");
}

[[maybe_unused]] std::optional<std::filesystem::path> own_cgroup([[maybe_unused]] const SystemView& view) {
  // TODO: own_cgroup: find the line starting with "0::" in
  // view.proc_self_cgroup; return what follows, without the leading '/'.
  throw std::logic_error("TODO: own_cgroup");
}

}  // namespace

cpu_set_t current_affinity() {
  // TODO: current_affinity: sched_getaffinity(0, sizeof set, &set).
  throw std::logic_error("TODO: current_affinity");
}

int affinity_cpus([[maybe_unused]] const SystemView& view) {
  // TODO: affinity_cpus: CPU_COUNT of view.affinity(), at least 1.
  throw std::logic_error("TODO: affinity_cpus");
}

std::optional<int> cgroup_cpu_limit([[maybe_unused]] const SystemView& view) {
  // TODO: cgroup_cpu_limit: from view.cgroup_root / own cgroup up to
  // view.cgroup_root itself, parse each cpu.max that exists; keep the
  // smallest limit (nullopt if none): a parent's smaller limit binds a
  // child that has a larger one, so keep going up after the first limit.
  throw std::logic_error("TODO: cgroup_cpu_limit");
}

int usable_cpus([[maybe_unused]] const SystemView& view) {
  // TODO: usable_cpus: min(affinity_cpus, cgroup_cpu_limit if any), >= 1.
  throw std::logic_error("TODO: usable_cpus");
}

int pool_size([[maybe_unused]] Work work, [[maybe_unused]] const SystemView& view) {
  // TODO: pool_size: cpu -> usable_cpus(view); io -> min(32, usable + 4).
  throw std::logic_error("TODO: pool_size");
}

}  // namespace cpus
