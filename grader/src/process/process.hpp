// run: starting a program with a deadline and capturing what it prints.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace grader {

using RunAs = std::pair<uid_t, gid_t>;

struct ProcessSpec {
  std::vector<std::string> argv;                             // argv[0] is a path or a name on PATH
  std::vector<std::pair<std::string, std::string>> env;     // added to (or replacing in) the grader's environment
  std::filesystem::path cwd;                                 // empty: the grader's
  std::chrono::milliseconds timeout{0};                      // 0: no limit
  std::size_t output_cap = 256 * 1024;                       // bytes kept: the head and the tail
  bool collect_stacks_on_timeout = false;                    // gdb backtraces before the kill
  bool no_aslr = false;  // ThreadSanitizer needs it where vm.mmap_rnd_bits > 28
  // SCHED_IDLE, inherited by everything it starts: it gets a core only when no
  // other program wants one (a build beside running tests takes none of theirs).
  bool background = false;
  // A test's limits: no core files, at most 1 GiB per file, CPU time bounded by
  // the timeout, kMaxTestTasks processes and threads (process/containment.hpp), and
  // memory_limit bytes of address space when set (never for the sanitizers,
  // which reserve terabytes; their own max_allocation_size_mb stands in).
  bool test_limits = false;
  std::size_t memory_limit = 0;  // RLIMIT_AS, for the program and each process it starts
  long cpu_limit_s = 0;          // RLIMIT_CPU likewise, when test_limits does not set it
  // The result channel (run/result_channel.hpp): when set, the program starts
  // with this secret readable once on fd 3 (then at end of file) and a pipe
  // to the grader on fd 4, whose bytes come back in `channel`. A "stacks"
  // frame there takes the stacks at once (collect_stacks_on_timeout).
  std::string secret;
  std::size_t channel_cap = 32 * 1024 * 1024;
  // Runs the program as this user and group, without supplementary groups
  // (the grader is root and must not lend that to the learner's code).
  std::optional<RunAs> run_as;
  // Called with each piece of output as it arrives (progress), from the thread that runs.
  std::function<void(const char*, std::size_t)> on_output;
};

struct ProcessResult {
  bool started = false;
  std::string start_error;  // why it could not start
  int exit_code = -1;       // when it exited
  int signal = 0;           // when a signal ended it
  bool timed_out = false;
  bool stopped = false;     // at the timeout, the process was stopped (SIGSTOP), not running
  std::string output;       // stdout and stderr, interleaved as written
  std::size_t output_cut = 0;  // bytes dropped from the middle
  std::string channel;      // what the program wrote on fd 4 (ProcessSpec::secret)
  bool channel_cut = false; // more than channel_cap bytes: the rest was dropped
  std::string stacks;       // gdb's "thread apply all bt" at the timeout, or when the test asked (a hang it detected)
  std::vector<std::string> leftovers;  // "pid (name)" still running after it exited (killed since)
  bool task_limit_hit = false;         // a fork failed at the limit of processes and threads
  double seconds = 0;
  double cpu_seconds = 0;  // user + system time of the program itself (not of what it left running)

  bool exited_ok() const { return started && !timed_out && signal == 0 && exit_code == 0; }
};

/// Runs programs; tests of the grader substitute a fake (as ninja's CommandRunner).
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  virtual ProcessResult run(const ProcessSpec& spec) = 0;
};

/// The real runner. Each program gets its own process group, stdin from
/// /dev/null, and stdout+stderr on one pipe. On timeout (after collecting
/// stacks, when asked) the whole group is killed; when the program exits,
/// whatever it left running in its group is named in `leftovers`, then killed
/// and reaped. Safe from any thread.
class PosixProcessRunner : public ProcessRunner {
 public:
  ProcessResult run(const ProcessSpec& spec) override;
};

/// Kills the process group of every program still running (for Ctrl-C),
/// and from then on starts none: a thread that would start one, or that sees
/// its program end, waits for the interrupt handler to end the grader.
void kill_running_processes();

/// "SIGSEGV (segmentation fault)" for 11.
std::string describe_signal(int signal);

/// The path of `program` on PATH ("" when not found); a path is returned as is.
std::string find_program(const std::string& program);

}  // namespace grader
