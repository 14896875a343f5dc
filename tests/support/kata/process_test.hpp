// kata/process_test.hpp: helpers for the tests of the process exercises, which
// judge children by what the OS shows the parent: whether a pid can still be
// waited for, whether any child is left, how a child ended. Every wait here
// has a deadline, and whatever outlives its deadline is killed and reaped.
#pragma once

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <kata/test.hpp>

extern "C" void __gcov_dump(void) __attribute__((weak));  // present in coverage builds only

namespace kata {

/// Forks a child that runs fn() (returning its exit code) and _exits with
/// that code, or with `code_if_threw` if fn threw: the child never returns
/// into Catch2. Fork only while the test process is single-threaded.
template <class Fn>
pid_t fork_child(Fn&& fn, int code_if_threw) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int code = code_if_threw;
    try {
      code = fn();
    } catch (...) {
    }
    if (__gcov_dump) __gcov_dump();  // _exit skips gcov's exit handler
    ::_exit(code);
  }
  return pid;
}

/// True when `pid` is no child of ours any more: it ended and was reaped.
inline bool reaped(pid_t pid) {
  errno = 0;
  return ::waitpid(pid, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

/// True when this process has no child at all (none running, no zombie).
/// Reaps any zombie it finds, so a failing test leaves none behind either.
inline bool no_children_left() {
  errno = 0;
  if (::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD) return true;
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  return false;
}

/// How a child ended, as reap_within saw it.
struct ChildEnd {
  bool timed_out = false;  ///< still running at the deadline: killed with SIGKILL
  bool exited = false;     ///< it called exit (code holds the code)
  int code = -1;           ///< the exit code, when exited
  int signal = 0;          ///< the signal that ended it, when not exited

  /// True when it exited on its own with `expected`.
  bool exited_with(int expected) const { return exited && code == expected; }
  /// One phrase for an INFO message: "exited with code 3", ...
  std::string describe() const {
    if (timed_out) return "still running at its deadline (hung), killed";
    if (exited) return "exited with code " + std::to_string(code);
    return "killed by signal " + std::to_string(signal);
  }
};

/// Waits up to `limit` for the child `pid` to end; kills it (SIGKILL) when
/// the limit passes. Always reaps it. A pid that is not (or no longer) our
/// child gives a ChildEnd with nothing set: there is nothing to wait for.
inline ChildEnd reap_within(pid_t pid, std::chrono::milliseconds limit) {
  ChildEnd end;
  int status = 0;
  const auto deadline = Clock::now() + limit;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) return end;
    if (Clock::now() >= deadline) {
      end.timed_out = true;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(2ms);
  }
  if (WIFEXITED(status)) {
    end.exited = true;
    end.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    end.signal = WTERMSIG(status);
  }
  return end;
}

/// While alive, this process can open only `room` more descriptors:
/// RLIMIT_NOFILE (which binds root too) is set to the (room+1)-th lowest free
/// descriptor, as descriptors are handed out lowest first. Restores the old
/// limit when it ends.
class FewDescriptors {
 public:
  explicit FewDescriptors(int room) {
    ::getrlimit(RLIMIT_NOFILE, &previous_);
    std::vector<int> free_fds;
    for (int i = 0; i <= room; ++i) free_fds.push_back(::dup(0));
    bool all_opened = true;
    for (int fd : free_fds) {
      if (fd < 0) all_opened = false;
      else ::close(fd);
    }
    rlimit lowered = previous_;
    lowered.rlim_cur = static_cast<rlim_t>(free_fds.back());
    ok_ = all_opened && ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  }
  ~FewDescriptors() { ::setrlimit(RLIMIT_NOFILE, &previous_); }
  FewDescriptors(const FewDescriptors&) = delete;
  FewDescriptors& operator=(const FewDescriptors&) = delete;

  /// True when the limit is in place.
  bool ok() const { return ok_; }

 private:
  rlimit previous_{};
  bool ok_ = false;
};

/// Memory the test shares with its forked children (MAP_SHARED |
/// MAP_ANONYMOUS: not in /dev/shm, gone when the last process unmaps it).
/// T must be trivially destructible; std::atomic of a lock-free type works
/// across processes.
template <class T>
class SharedScratch {
 public:
  SharedScratch() {
    void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
    value_ = new (p) T();
  }
  ~SharedScratch() { ::munmap(value_, sizeof(T)); }
  SharedScratch(const SharedScratch&) = delete;
  SharedScratch& operator=(const SharedScratch&) = delete;
  T* operator->() const { return value_; }
  T& operator*() const { return *value_; }

 private:
  T* value_;
};

}  // namespace kata
