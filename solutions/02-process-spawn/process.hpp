// process.hpp: run another program as a child process, like Python's
// subprocess.run(args, input=..., capture_output=True, timeout=...).
// Invariant: when run_process returns, the child has been waited for (no
// zombie) and, after a timeout, its whole process group is gone.
// Tools: posix_spawnp (or fork + execvp), pipe2, poll, kill, waitpid.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// How a child process ended and what it wrote.
struct ProcessResult {
  pid_t pid = -1;                  ///< the child's pid (already reaped: do not wait for it)
  std::optional<int> exit_code;    ///< set when the child called exit(): WEXITSTATUS
  std::optional<int> signal;       ///< set when a signal killed it: WTERMSIG
  std::string out;                 ///< everything it wrote to stdout
  std::string err;                 ///< everything it wrote to stderr
  bool timed_out = false;          ///< true when run_process killed it at the deadline
};

/// Runs argv[0] (looked up in PATH) with arguments argv[1..], writes `input`
/// to its stdin and then closes it, and collects stdout and stderr until the
/// child ends. The child runs in a process group of its own; if it is still
/// running after `timeout`, the whole group gets SIGKILL and timed_out is set.
/// Exactly one of exit_code and signal is set in the result.
/// Throws std::invalid_argument for an empty argv and std::system_error when
/// the program cannot be started (e.g. it does not exist).
/// Safe to call from several threads at once.
ProcessResult run_process(const std::vector<std::string>& argv, std::string_view input,
                          std::chrono::milliseconds timeout);
