#include "interrupt.hpp"

#include <csignal>
#include <iostream>
#include <mutex>
#include <thread>

#include <pthread.h>
#include <unistd.h>

#include "commands/context.hpp"
#include "process/containment.hpp"
#include "process/process.hpp"

namespace grader {
namespace {
std::mutex cleanup_mutex;
std::function<void()> cleanup_fn;
}  // namespace

void set_interrupt_cleanup(std::function<void()> cleanup) {
  std::lock_guard guard(cleanup_mutex);
  cleanup_fn = std::move(cleanup);
}

void handle_interrupts() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // inherited by every thread started later
  std::thread([signals] {
    int received = 0;
    sigwait(&signals, &received);
    // Each test runs in its own process group, so the terminal's Ctrl-C does
    // not reach it: kill them all here.
    kill_running_processes();
    remove_every_cgroup();
    {
      std::lock_guard guard(cleanup_mutex);
      if (cleanup_fn) cleanup_fn();
    }
    std::cerr << "\ngrader: interrupted; stopped every running test\n";
    _exit(kExitInterrupted);
  }).detach();
}

}  // namespace grader
