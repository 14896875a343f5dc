// Ctrl-C and SIGTERM: every running test is killed, a cleanup (such as
// restoring the terminal) runs, and the grader exits with 130.
#pragma once

#include <functional>

namespace grader {

/// Blocks SIGINT/SIGTERM in every thread and handles them on a thread of their own.
void handle_interrupts();

/// What to do before exiting on an interrupt (one at a time; empty to clear).
void set_interrupt_cleanup(std::function<void()> cleanup);

}  // namespace grader
