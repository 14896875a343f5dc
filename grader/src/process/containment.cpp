#include "process/containment.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace grader {
namespace fs = std::filesystem;
namespace {

const fs::path kPidsRoot = "/sys/fs/cgroup/pids";

bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces.
struct ProcStat {
  std::string comm;
  char state = '?';
  pid_t pgrp = 0;
};

bool read_stat(pid_t pid, ProcStat& st) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto open = text.find('('), close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return false;
  st.comm = text.substr(open + 1, close - open - 1);
  std::istringstream rest(text.substr(close + 1));
  pid_t ppid = 0;
  rest >> st.state >> ppid >> st.pgrp;
  return static_cast<bool>(rest);
}

// Processes whose initial environment holds `marker` (a NUL-separated entry).
std::vector<pid_t> marked_processes(const std::string& marker) {
  std::vector<pid_t> pids;
  if (marker.empty()) return pids;
  const std::string entry = std::string(1, '\0') + marker + '\0';
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator("/proc", ec)) {
    auto name = dir.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto env = std::string(1, '\0') + read_file(dir.path() / "environ");
    if (env.find(entry) != std::string::npos) pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

std::mutex cgroups_mutex;
std::vector<std::string> live_cgroups;   // made for tests still running
std::vector<std::string> stale_cgroups;  // could not be removed yet: members still dying

void forget(std::vector<std::string>& list, const std::string& cgroup) {
  list.erase(std::remove(list.begin(), list.end(), cgroup), list.end());
}

std::vector<pid_t> cgroup_members(const std::string& cgroup) {
  std::vector<pid_t> pids;
  std::istringstream in(read_file(fs::path(cgroup) / "cgroup.procs"));
  for (pid_t p; in >> p;) pids.push_back(p);
  return pids;
}

// The threads of the whole system: an upper bound of the user's own.
long system_threads() {
  // /proc/loadavg: "0.10 0.20 0.30 2/345 6789": 345 threads exist.
  std::istringstream in(read_file("/proc/loadavg"));
  std::string a, b, c, runs;
  in >> a >> b >> c >> runs;
  auto slash = runs.find('/');
  return slash == std::string::npos ? 4096 : std::stol(runs.substr(slash + 1));
}

}  // namespace

void become_subreaper() {
  static std::once_flag once;
  std::call_once(once, [] { prctl(PR_SET_CHILD_SUBREAPER, 1); });
}

TaskLimit prepare_task_limit(bool child_unprivileged) {
  static std::atomic<unsigned> serial{0};
  remove_stale_cgroups();
  TaskLimit limit;
  const auto n = ++serial;  // one number for both names: tests start from several threads
  limit.marker = "KATA_TEST_MARK=" + std::to_string(getpid()) + "-" + std::to_string(n);
  // GRADER_NO_CGROUPS: the grader's own tests take the path of a user who
  // cannot make cgroups.
  if (geteuid() == 0 && !std::getenv("GRADER_NO_CGROUPS")) {
    auto dir = kPidsRoot / ("kata-" + std::to_string(getpid()) + "-" + std::to_string(n));
    std::error_code ec;
    if (fs::exists(kPidsRoot / "cgroup.procs", ec) && fs::create_directory(dir, ec)) {
      if (write_file(dir / "pids.max", std::to_string(kMaxTestTasks))) {
        limit.cgroup = dir.string();
        std::lock_guard guard(cgroups_mutex);
        live_cgroups.push_back(limit.cgroup);
        return limit;
      }
      fs::remove(dir, ec);
    }
    if (!child_unprivileged) return limit;  // root is not bound by RLIMIT_NPROC
  }
  limit.nproc = system_threads() + kMaxTestTasks;
  return limit;
}

void enter_task_limit(const TaskLimit& limit) {
  if (!limit.cgroup.empty()) {
    // Path built before fork would need a buffer; the string's c_str() is
    // already there and unchanged in the child.
    char path[4096];
    auto n = limit.cgroup.size();
    if (n + sizeof "/cgroup.procs" > sizeof path) return;
    std::memcpy(path, limit.cgroup.c_str(), n);
    std::memcpy(path + n, "/cgroup.procs", sizeof "/cgroup.procs");
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      (void)!write(fd, "0", 1);
      close(fd);
    }
  } else if (limit.nproc > 0) {
    rlimit tasks{static_cast<rlim_t>(limit.nproc), static_cast<rlim_t>(limit.nproc)};
    setrlimit(RLIMIT_NPROC, &tasks);
  }
}

std::vector<std::string> running_leftovers(pid_t group, const TaskLimit& limit) {
  std::vector<pid_t> candidates;
  if (!limit.cgroup.empty()) candidates = cgroup_members(limit.cgroup);
  for (pid_t pid : marked_processes(limit.marker))
    if (pid != group) candidates.push_back(pid);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    auto name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    ProcStat st;
    auto pid = static_cast<pid_t>(std::stol(name));
    if (read_stat(pid, st) && st.pgrp == group) candidates.push_back(pid);
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  std::vector<std::string> running;
  for (pid_t pid : candidates) {
    ProcStat st;
    if (read_stat(pid, st) && st.state != 'Z' && st.state != 'X')
      running.push_back(std::to_string(pid) + " (" + st.comm + ")");
  }
  return running;
}

bool end_task_limit(pid_t group, TaskLimit& limit) {
  using namespace std::chrono_literals;
  const auto give_up = std::chrono::steady_clock::now() + 3s;
  std::set<pid_t> killed;  // outside the group (setsid): reaped one by one below
  for (;;) {
    if (group <= 0) break;  // nothing was started
    kill(-group, SIGKILL);
    bool any = kill(-group, 0) == 0;
    if (!limit.cgroup.empty())
      for (pid_t pid : cgroup_members(limit.cgroup)) {
        kill(pid, SIGKILL);
        killed.insert(pid);
        any = true;
      }
    // setsid() left the group: the marker still names them. Zombies keep
    // their environment until reaped, so only live ones count.
    for (pid_t pid : marked_processes(limit.marker)) {
      ProcStat st;
      if (pid == group || !read_stat(pid, st) || st.state == 'Z' || st.state == 'X') continue;
      kill(pid, SIGKILL);
      killed.insert(pid);
      any = true;
    }
    // Orphans re-parented to the grader (a subreaper) are reaped here; only
    // this test's, never another test's process. A zombie left unreaped
    // would outlive the grader wherever init does not reap.
    siginfo_t info{};
    while (waitid(P_PGID, static_cast<id_t>(group), &info, WEXITED | WNOHANG) == 0 && info.si_pid != 0) info = {};
    for (auto it = killed.begin(); it != killed.end();) {
      if (waitpid(*it, nullptr, WNOHANG) == *it || kill(*it, 0) != 0) {
        it = killed.erase(it);
      } else {
        any = true;  // dying, or a zombie not yet re-parented to us
        ++it;
      }
    }
    if (!any || std::chrono::steady_clock::now() > give_up) break;
    std::this_thread::sleep_for(5ms);
  }
  bool hit = false;
  if (!limit.cgroup.empty()) {
    // pids.events: "max N", N forks refused at the limit.
    std::istringstream events(read_file(fs::path(limit.cgroup) / "pids.events"));
    std::string key;
    long count = 0;
    while (events >> key >> count)
      if (key == "max" && count > 0) hit = true;
    std::error_code ec;
    bool removed = fs::remove(limit.cgroup, ec);
    std::lock_guard guard(cgroups_mutex);
    forget(live_cgroups, limit.cgroup);
    if (!removed) stale_cgroups.push_back(limit.cgroup);
    limit.cgroup.clear();
  }
  return hit;
}

namespace {

// Kills the members of each cgroup and removes it; returns those still there
// (members not dead yet).
std::vector<std::string> kill_and_remove(const std::vector<std::string>& cgroups) {
  std::vector<std::string> still;
  for (const auto& cgroup : cgroups) {
    for (pid_t pid : cgroup_members(cgroup)) kill(pid, SIGKILL);
    std::error_code ec;
    if (!fs::remove(cgroup, ec) && fs::exists(cgroup, ec)) still.push_back(cgroup);
  }
  return still;
}

}  // namespace

void remove_stale_cgroups() {
  std::lock_guard guard(cgroups_mutex);
  stale_cgroups = kill_and_remove(stale_cgroups);
}

void remove_every_cgroup() {
  using namespace std::chrono_literals;
  std::lock_guard guard(cgroups_mutex);
  auto all = live_cgroups;
  all.insert(all.end(), stale_cgroups.begin(), stale_cgroups.end());
  const auto give_up = std::chrono::steady_clock::now() + 3s;
  while (!all.empty() && std::chrono::steady_clock::now() < give_up) {
    all = kill_and_remove(all);
    if (!all.empty()) std::this_thread::sleep_for(20ms);
  }
  live_cgroups.clear();
  stale_cgroups = all;
}

}  // namespace grader
