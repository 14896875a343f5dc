// run: what a test process may use, and what it must not leave behind.
//
// Processes and threads: a pids cgroup per test where the grader can make one
// (root with cgroup v1's pids controller), else RLIMIT_NPROC (which binds only
// a user that is not root). A fork bomb then fails its forks instead of
// filling the machine.
// Leftovers: whatever still runs in the test's process group (or cgroup) once
// the test's own process has exited. The grader is a child subreaper, so such
// orphans are re-parented to it; it kills and reaps them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <sys/types.h>

namespace grader {

inline constexpr int kMaxTestTasks = 2048;  // processes + threads of one test

/// The address space one test process may use, except under a sanitizer
/// (which reserves terabytes; its max_allocation_size_mb stands in). Hundreds
/// of threads with 8 MiB stacks fit; 8 GiB does not.
inline constexpr std::size_t kTestMemoryLimit = std::size_t{6} << 30;

struct TaskLimit {
  std::string cgroup;  // a pids cgroup made for this test, or ""
  long nproc = 0;      // else the RLIMIT_NPROC to set, or 0 (root without cgroups)
  // "KATA_TEST_MARK=<unique>", put in the test's environment: a process that
  // left the test's process group (setsid) and is in no cgroup of ours is
  // still found by it, as any user.
  std::string marker;
};

/// Before fork: makes the test's cgroup, or picks an RLIMIT_NPROC (which
/// binds the child only when it is not root, or is made to run as another user).
TaskLimit prepare_task_limit(bool child_unprivileged = false);

/// In the child, between fork and exec (async-signal-safe): joins the limit.
void enter_task_limit(const TaskLimit& limit);

/// "1234 (sleep)" for every process of `group` (or of the limit's cgroup) that
/// still runs: zombies do not count.
std::vector<std::string> running_leftovers(pid_t group, const TaskLimit& limit);

/// Kills every process of the group, the cgroup and the marker, reaps the ones
/// re-parented to the grader, and removes the cgroup (group 0: nothing was
/// started; a cgroup still busy is removed later, see remove_stale_cgroups).
/// True when the test hit its task limit.
bool end_task_limit(pid_t group, TaskLimit& limit);

/// Kills what is left in cgroups that could not be removed yet and removes
/// them; the grader calls it before each test and when it is interrupted.
void remove_stale_cgroups();

/// On an interrupt: kills the members of every cgroup the grader made, live
/// or stale, and removes them (trying for up to 3 s).
void remove_every_cgroup();

/// Makes the grader a child subreaper (once; harmless where unsupported).
void become_subreaper();

}  // namespace grader
