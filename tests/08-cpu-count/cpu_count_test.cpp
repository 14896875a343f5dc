// Hidden tests of 08-cpu-count: the CPU count is judged against a faked
// system: a temporary directory standing for /sys/fs/cgroup and
// /proc/self/cgroup, and a fake affinity mask. Masks of 1, 3 and 5 CPUs make
// any constant (the machine's CPU count, hardware_concurrency) wrong for at
// least two of them, whatever machine runs the tests.
#include <catch2/catch.hpp>

#include "cpu_count.hpp"

#include <kata/test.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using cpus::SystemView;
using cpus::Work;

namespace {

/// A fake system in a temporary directory, removed by the destructor.
class FakeSystem {
 public:
  FakeSystem() {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("kata_08_cpu_count_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(dir_ / "cgroup");
    view_.cgroup_root = dir_ / "cgroup";
    view_.proc_self_cgroup = dir_ / "proc_self_cgroup";
    in_cgroup("/");
    set_mask({0, 1, 2, 3, 4, 5, 6, 7});
  }
  ~FakeSystem() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  FakeSystem(const FakeSystem&) = delete;
  FakeSystem& operator=(const FakeSystem&) = delete;

  /// The process lives in cgroup `path` ("/app/worker"); v1 lines come first,
  /// as on a hybrid system.
  void in_cgroup(const std::string& path) {
    write(view_.proc_self_cgroup, "12:cpu,cpuacct:/legacy\n3:memory:/legacy\n0::" + path + "\n");
  }
  /// Writes `text` as the cpu.max of cgroup `relative` ("" is the root).
  void cpu_max(const std::string& relative, const std::string& text) {
    const fs::path dir = view_.cgroup_root / relative;
    fs::create_directories(dir);
    write(dir / "cpu.max", text);
  }
  void set_mask(const std::vector<int>& cpus) {
    view_.affinity = [cpus] {
      cpu_set_t set;
      CPU_ZERO(&set);
      for (int c : cpus) CPU_SET(c, &set);
      return set;
    };
  }
  SystemView& view() { return view_; }
  fs::path dir() const { return dir_; }

 private:
  static void write(const fs::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::trunc);
    out << text;
  }
  fs::path dir_;
  SystemView view_;
};

std::vector<int> first_n(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i);
  return v;
}

}  // namespace

TEST_CASE("the affinity mask decides, not the number of CPUs in the machine", "[08-cpu-count][unit][req:1]") {
  struct Case {
    std::vector<int> mask;
    int expected;
  };
  for (const auto& c : {Case{{3}, 1}, Case{{0, 2, 4}, 3}, Case{{1, 5, 6, 7, 9}, 5}}) {
    FakeSystem sys;
    sys.set_mask(c.mask);
    CAPTURE(c.expected);
    REQUIRE(cpus::affinity_cpus(sys.view()) == c.expected);
    REQUIRE(cpus::usable_cpus(sys.view()) == c.expected);
    REQUIRE(cpus::pool_size(Work::cpu, sys.view()) == c.expected);
  }
}

TEST_CASE("a cgroup v2 cpu.max quota limits the CPUs, rounded up", "[08-cpu-count][unit][req:2][req:5]") {
  struct Case {
    const char* cpu_max;
    std::optional<int> limit;
    int usable;  // with 8 CPUs in the mask
  };
  for (const auto& c : {Case{"150000 100000\n", 2, 2}, Case{"200000 100000\n", 2, 2}, Case{"250000 100000\n", 3, 3},
                        Case{"50000 20000\n", 3, 3}, Case{"1600000 100000\n", 16, 8}, Case{"max 100000\n", std::nullopt, 8}}) {
    FakeSystem sys;
    sys.in_cgroup("/app");
    sys.cpu_max("app", c.cpu_max);
    CAPTURE(c.cpu_max);
    REQUIRE(cpus::cgroup_cpu_limit(sys.view()) == c.limit);
    REQUIRE(cpus::usable_cpus(sys.view()) == c.usable);
  }
}

TEST_CASE("a quota below one CPU still gives one, and no size is ever zero", "[08-cpu-count][unit][req:1][req:3]") {
  for (const char* text : {"50000 100000", "1000 100000", "1 1000000"}) {
    FakeSystem sys;
    sys.in_cgroup("/tiny");
    sys.cpu_max("tiny", text);
    CAPTURE(text);
    REQUIRE(cpus::cgroup_cpu_limit(sys.view()) == 1);
    REQUIRE(cpus::usable_cpus(sys.view()) == 1);
    REQUIRE(cpus::pool_size(Work::cpu, sys.view()) == 1);
    REQUIRE(cpus::pool_size(Work::io, sys.view()) == 5);
  }
  FakeSystem empty_mask;
  empty_mask.set_mask({});  // what a failed sched_getaffinity leaves
  REQUIRE(cpus::affinity_cpus(empty_mask.view()) == 1);
  REQUIRE(cpus::usable_cpus(empty_mask.view()) == 1);
  REQUIRE(cpus::pool_size(Work::cpu, empty_mask.view()) == 1);
}

TEST_CASE("a parent cgroup's quota binds its children", "[08-cpu-count][unit][req:2]") {
  {
    FakeSystem sys;
    sys.in_cgroup("/pod/container");
    sys.cpu_max("pod/container", "max 100000");
    sys.cpu_max("pod", "300000 100000");
    REQUIRE(cpus::cgroup_cpu_limit(sys.view()) == 3);
    REQUIRE(cpus::usable_cpus(sys.view()) == 3);
  }
  {
    FakeSystem sys;
    sys.in_cgroup("/pod/container");
    sys.cpu_max("pod/container", "100000 100000");
    sys.cpu_max("pod", "400000 100000");
    REQUIRE(cpus::cgroup_cpu_limit(sys.view()) == 1);
  }
  {
    FakeSystem sys;  // only the root of the hierarchy has a limit
    sys.in_cgroup("/a/b/c");
    fs::create_directories(sys.view().cgroup_root / "a/b/c");
    sys.cpu_max("", "200000 100000");
    REQUIRE(cpus::cgroup_cpu_limit(sys.view()) == 2);
  }
}

TEST_CASE("a smaller limit above the nearest one still binds", "[08-cpu-count][unit][req:2]") {
  {
    FakeSystem sys;
    sys.in_cgroup("/pod/container");
    sys.cpu_max("pod/container", "400000 100000");  // the nearest limit: 4
    sys.cpu_max("pod", "100000 100000");            // the pod's: 1
    CAPTURE("container 4 CPUs, pod 1 CPU");
    REQUIRE(cpus::cgroup_cpu_limit(sys.view()) == 1);
    REQUIRE(cpus::usable_cpus(sys.view()) == 1);
  }
  {
    FakeSystem sys;
    sys.in_cgroup("/a/b/c");
    sys.cpu_max("a/b/c", "500000 100000");
    sys.cpu_max("a/b", "max 100000");
    sys.cpu_max("a", "300000 100000");
    sys.cpu_max("", "200000 100000");  // the root's: 2
    REQUIRE(cpus::cgroup_cpu_limit(sys.view()) == 2);
    REQUIRE(cpus::usable_cpus(sys.view()) == 2);
  }
}

TEST_CASE("a quota too large for an int of CPUs does not wrap to a small limit", "[08-cpu-count][unit][req:2][req:3]") {
  // 429496729600000 / 100000 = 2^32 CPUs: cut to an int, that is 0 (and
  // 2^31 would be negative). Such a quota limits nothing below 8 CPUs.
  for (const char* text : {"429496729600000 100000", "214748364800000 100000", "18446744073709551615 1",
                           "18446744073709551615 100000"}) {
    FakeSystem sys;
    sys.in_cgroup("/big");
    sys.cpu_max("big", text);
    CAPTURE(text);
    const auto limit = cpus::cgroup_cpu_limit(sys.view());
    if (limit) REQUIRE(*limit >= 8);
    REQUIRE(cpus::usable_cpus(sys.view()) == 8);
    REQUIRE(cpus::pool_size(Work::io, sys.view()) == 12);
  }
}

TEST_CASE("malformed or missing files set no limit and never throw", "[08-cpu-count][unit][req:4]") {
  for (const char* text : {"", "\n", "abc 100000", "150000", "-100000 100000", "100000 0", "100000 -5", "12x 100000",
                           "0 100000", "100000 100000x"}) {
    FakeSystem sys;
    sys.in_cgroup("/odd");
    sys.cpu_max("odd", text);
    sys.set_mask({0, 1, 2});
    CAPTURE(text);
    std::optional<int> limit;
    REQUIRE_NOTHROW(limit = cpus::cgroup_cpu_limit(sys.view()));
    REQUIRE_FALSE(limit);
    REQUIRE(cpus::usable_cpus(sys.view()) == 3);
  }
  {
    FakeSystem sys;  // no cpu.max anywhere: no cgroup v2 CPU controller
    sys.in_cgroup("/plain");
    REQUIRE_FALSE(cpus::cgroup_cpu_limit(sys.view()));
  }
  {
    FakeSystem sys;  // cgroup v1 only: no "0::" line
    sys.cpu_max("legacy", "100000 100000");
    std::ofstream(sys.view().proc_self_cgroup, std::ios::trunc) << "12:cpu,cpuacct:/legacy\n";
    REQUIRE_FALSE(cpus::cgroup_cpu_limit(sys.view()));
  }
  {
    FakeSystem sys;  // no /proc/self/cgroup at all
    sys.view().proc_self_cgroup = sys.dir() / "missing";
    sys.set_mask({0, 1});
    REQUIRE_FALSE(cpus::cgroup_cpu_limit(sys.view()));
    REQUIRE(cpus::usable_cpus(sys.view()) == 2);
  }
}

TEST_CASE("pool sizes: CPU work gets the usable CPUs, IO work min(32, CPUs + 4)", "[08-cpu-count][unit][req:5]") {
  struct Case {
    int cpus, cpu_pool, io_pool;
  };
  for (const auto& c : {Case{1, 1, 5}, Case{3, 3, 7}, Case{8, 8, 12}, Case{28, 28, 32}, Case{40, 40, 32}}) {
    FakeSystem sys;
    sys.set_mask(first_n(c.cpus));
    CAPTURE(c.cpus);
    REQUIRE(cpus::pool_size(Work::cpu, sys.view()) == c.cpu_pool);
    REQUIRE(cpus::pool_size(Work::io, sys.view()) == c.io_pool);
  }
  FakeSystem quota;  // the quota counts for both
  quota.in_cgroup("/q");
  quota.cpu_max("q", "150000 100000");
  REQUIRE(cpus::pool_size(Work::cpu, quota.view()) == 2);
  REQUIRE(cpus::pool_size(Work::io, quota.view()) == 6);
}

TEST_CASE("on the real system the answer is between 1 and the affinity mask", "[08-cpu-count][unit][req:6]") {
  const cpu_set_t real = cpus::current_affinity();
  REQUIRE(CPU_COUNT(&real) >= 1);
  const SystemView system;  // the defaults: /sys/fs/cgroup, /proc/self/cgroup, sched_getaffinity
  REQUIRE(cpus::affinity_cpus(system) == CPU_COUNT(&real));
  const int usable = cpus::usable_cpus(system);
  REQUIRE(usable >= 1);
  REQUIRE(usable <= CPU_COUNT(&real));
}
