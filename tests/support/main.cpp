// The one Catch2 main of every test executable, built once per profile.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <sys/prctl.h>

int main(int argc, char* argv[]) {
  // On a timeout the grader attaches gdb to print every thread's stack.
  // Where kernel.yama.ptrace_scope is 1, only an allowed tracer may attach.
  prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
  return Catch::Session().run(argc, argv);
}
