// Hidden tests of 02-process-spawn: run_process runs real programs (/bin/sh,
// cat, head, true) and is judged by what the OS can see afterwards: the exit
// status, the captured bytes, whether the pid can still be waited for (a
// zombie), and whether a grandchild is still alive.
//
// Every call goes through run_within(): run_process on a helper thread with a
// deadline, so an implementation that deadlocks on a full pipe or ignores its
// timeout becomes a failed assertion instead of a hang. The test process makes
// itself a child subreaper, so orphaned grandchildren become its children: it
// can then see whether they died, reap them, and kill any survivor.
#include <catch2/catch.hpp>

#include "process.hpp"

#include <kata/process_test.hpp>
#include <kata/test.hpp>
#include <kata/thread_test.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

/// run_process(argv, input, timeout), or nullopt if it has not returned
/// within `limit` (its thread is then abandoned; the test fails).
std::optional<ProcessResult> run_within(std::chrono::seconds limit, std::vector<std::string> argv,
                                        std::string input, std::chrono::milliseconds timeout) {
  return kata::value_within(limit, [argv = std::move(argv), input = std::move(input), timeout] {
    return run_process(argv, input, timeout);
  });
}

std::vector<std::string> sh(std::string script) { return {"/bin/sh", "-c", std::move(script)}; }

/// Waits up to `limit` for the orphan `pid` (our child, as we are a
/// subreaper) to die, reaping it. If it is still alive then, kills and reaps
/// it (the test cleans up after itself) and returns false.
bool orphan_dies_within(pid_t pid, std::chrono::milliseconds limit) {
  return !kata::reap_within(pid, limit).timed_out;  // a pid someone else reaped counts as dead
}

std::string bytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i * 7 % 26);
  return s;
}

}  // namespace

TEST_CASE("run_process returns the exit code, stdout and stderr of a program", "[02-process-spawn][unit][req:1][req:2]") {
  auto r = run_within(10s, sh("printf 'to out'; printf 'to err' >&2; exit 3"), "", 5000ms);
  REQUIRE(r);
  CHECK(r->pid > 0);
  REQUIRE(r->exit_code == 3);
  REQUIRE_FALSE(r->signal);
  REQUIRE_FALSE(r->timed_out);
  REQUIRE(r->out == "to out");
  REQUIRE(r->err == "to err");

  auto ok = run_within(10s, {"true"}, "", 5000ms);
  REQUIRE(ok);
  REQUIRE(ok->exit_code == 0);
  REQUIRE(ok->out.empty());
}

TEST_CASE("run_process feeds the input to stdin and closes it so the child sees EOF", "[02-process-spawn][unit][req:2]") {
  auto small = run_within(10s, {"cat"}, "hello, child\n", 5000ms);
  REQUIRE(small);
  REQUIRE(small->exit_code == 0);
  REQUIRE(small->out == "hello, child\n");

  // 1 MiB in and 1 MiB back: cat blocks writing its stdout unless the parent
  // reads while it still writes the input. Writing everything first deadlocks.
  const std::string big = bytes(1 << 20);
  auto echoed = run_within(10s, {"cat"}, big, 8000ms);
  REQUIRE(echoed);
  REQUIRE_FALSE(echoed->timed_out);
  REQUIRE(echoed->exit_code == 0);
  REQUIRE(echoed->out.size() == big.size());
  REQUIRE(echoed->out == big);
}

TEST_CASE("a child that fills stderr while the parent waits on stdout does not deadlock", "[02-process-spawn][unit][req:3]") {
  // 1 MiB to stderr (a pipe holds 64 KiB), then one line to stdout. A parent
  // that reads stdout to EOF before looking at stderr waits for a child that
  // waits for it: both block forever. poll() on both pipes avoids it.
  auto r = run_within(10s, sh("head -c 1048576 /dev/zero >&2; echo done"), "", 8000ms);
  REQUIRE(r);  // else: deadlocked on the full stderr pipe
  REQUIRE_FALSE(r->timed_out);
  REQUIRE(r->exit_code == 0);
  REQUIRE(r->err.size() == (1u << 20));
  REQUIRE(r->out == "done\n");
}

TEST_CASE("the child is reaped before run_process returns, timed out or not", "[02-process-spawn][unit][req:4]") {
  auto exited = run_within(10s, {"true"}, "", 5000ms);
  REQUIRE(exited);
  REQUIRE(exited->pid > 0);
  INFO("pid " << exited->pid << " can still be waited for: run_process left a zombie");
  REQUIRE(kata::reaped(exited->pid));

  auto killed = run_within(10s, {"sleep", "30"}, "", 300ms);
  REQUIRE(killed);
  REQUIRE(killed->timed_out);
  REQUIRE(killed->pid > 0);
  INFO("the timed-out child " << killed->pid << " can still be waited for: a zombie");
  REQUIRE(kata::reaped(killed->pid));
}

TEST_CASE("a child killed by a signal is reported as that signal, not as an exit code", "[02-process-spawn][unit][req:1][req:5]") {
  auto term = run_within(10s, sh("kill -TERM $$; sleep 5"), "", 5000ms);
  REQUIRE(term);
  REQUIRE_FALSE(term->timed_out);
  REQUIRE(term->signal == SIGTERM);
  REQUIRE_FALSE(term->exit_code);  // WEXITSTATUS of a signalled child is 0: not a success

  auto kill9 = run_within(10s, sh("kill -KILL $$"), "", 5000ms);
  REQUIRE(kill9);
  REQUIRE(kill9->signal == SIGKILL);
  REQUIRE_FALSE(kill9->exit_code);

  auto timed_out = run_within(10s, {"sleep", "30"}, "", 200ms);
  REQUIRE(timed_out);
  REQUIRE(timed_out->timed_out);
  REQUIRE(timed_out->signal == SIGKILL);
}

TEST_CASE("on timeout the whole process group dies, grandchildren included", "[02-process-spawn][unit][req:5]") {
  // Orphans are re-parented to us, so we can tell dead from alive and reap.
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  // The shell starts a grandchild (sleep 30 in the background), prints its
  // pid and waits. Killing only the shell would leave the sleep running.
  auto r = run_within(10s, sh("sleep 30 & echo $!; wait"), "", 1500ms);
  REQUIRE(r);
  REQUIRE(r->timed_out);
  const pid_t grandchild = static_cast<pid_t>(std::stol(r->out.empty() ? "0" : r->out));
  INFO("stdout was '" << r->out << "'");
  REQUIRE(grandchild > 0);
  INFO("grandchild " << grandchild << " still ran 2 s after the timeout: kill the group, kill(-pgid, SIGKILL)");
  REQUIRE(orphan_dies_within(grandchild, 2000ms));
}

TEST_CASE("a program that cannot be started is an error, not a child that fails", "[02-process-spawn][unit][req:6]") {
  auto missing = [] { return run_process({"/nonexistent/kata-no-such-program"}, "", 5000ms); };
  REQUIRE_THROWS_AS(missing(), std::system_error);
  REQUIRE_THROWS_AS(run_process({}, "", 5000ms), std::invalid_argument);
}

TEST_CASE("input that the child never reads is dropped without killing the caller", "[02-process-spawn][unit][req:7]") {
  // `true` exits without reading: writing the rest of 1 MiB gets EPIPE, and
  // SIGPIPE (if not blocked or ignored) would kill this test process.
  auto r = run_within(10s, {"true"}, bytes(1 << 20), 5000ms);
  REQUIRE(r);
  REQUIRE_FALSE(r->timed_out);
  REQUIRE(r->exit_code == 0);
}

TEST_CASE("a child that closes its outputs and keeps running is still killed at the timeout",
          "[02-process-spawn][unit][req:4][req:5]") {
  // EOF on both pipes does not mean the child has exited: this one closes
  // stdout and stderr, then sleeps 30 s. A blocking waitpid after the EOF
  // waits those 30 s, far past the 500 ms timeout.
  auto r = run_within(5s, sh("exec >&- 2>&-; sleep 30"), "", 500ms);
  INFO("run_process did not return within 5 s of a 500 ms timeout: the wait for the exit ignores the deadline");
  REQUIRE(r);
  REQUIRE(r->timed_out);
  REQUIRE(r->signal == SIGKILL);
  REQUIRE_FALSE(r->exit_code);
  REQUIRE(kata::reaped(r->pid));
}

TEST_CASE("signals that interrupt run_process while it waits are no error", "[02-process-spawn][unit][req:8]") {
  // A SIGUSR1 every 5 ms to the thread inside run_process, through a handler
  // without SA_RESTART: its poll (or read, or waitpid) keeps failing with
  // EINTR while the child sleeps. EINTR means "try again", not "failed".
  kata::InterruptingSignal handler;
  auto tid = std::make_shared<std::atomic<pid_t>>(0);
  std::atomic<bool> done{false};
  std::atomic<int> sent{0};
  std::jthread sender([&] {
    while (!done.load()) {
      if (const pid_t t = tid->load(); t != 0 && ::syscall(SYS_tgkill, ::getpid(), t, SIGUSR1) == 0) ++sent;
      std::this_thread::sleep_for(5ms);
    }
  });
  auto r = kata::value_within(10s, [tid] {
    tid->store(kata::os_tid());
    return run_process(sh("sleep 1; echo done"), "", 8000ms);
  });
  done.store(true);
  sender.join();
  CAPTURE(sent.load());
  REQUIRE(r);
  REQUIRE_FALSE(r->timed_out);
  REQUIRE(r->exit_code == 0);
  REQUIRE(r->out == "done\n");
  REQUIRE(sent.load() > 10);
}
