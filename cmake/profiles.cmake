# Compiler flags of each profile. One build tree per profile (build/<profile>),
# so switching profiles is incremental. Every profile uses clang (set in
# CMakePresets.json): faster on Asio coroutines, free of g++ 12's co_await
# lambda double-destruction, and at -O0 it still makes symmetric transfer a
# tail call (g++ 12 does not, so a deep co_await chain overflows the stack).
# Coverage is clang's gcov format, read by lcov through `llvm-cov gcov`.
set(KATA_PROFILE "plain" CACHE STRING "Build profile: plain, tsan, asan or coverage")
set_property(CACHE KATA_PROFILE PROPERTY STRINGS plain tsan asan coverage)

# Exercise builds stay at -O1 at most: clang 14 miscompiles some coroutines at -O2.
add_compile_options(-g -Wall -Wextra)

if(KATA_PROFILE STREQUAL "plain")
  add_compile_options(-O0)
elseif(KATA_PROFILE STREQUAL "tsan")
  add_compile_options(-O1 -fsanitize=thread)
  add_link_options(-fsanitize=thread)
  # TSan does not model std::atomic_thread_fence; Asio's fenced blocks use it.
  add_compile_definitions(BOOST_ASIO_DISABLE_FENCED_BLOCK)
elseif(KATA_PROFILE STREQUAL "asan")
  # -fno-sanitize=function: clang 14 cannot compile UBSan's function check
  # for coroutine frames ("Cannot represent a difference across sections").
  # -fno-sanitize=vptr: its check probes memory through a pipe of its own, so
  # a test that uses up the descriptors got a false "invalid vptr" report on
  # std::system_error's error category.
  # -O0: the checks are the same (none is optimized away) and the test
  # objects compile in half the time (13 s each at -O1, most of the build).
  add_compile_options(-O0 -fno-omit-frame-pointer
                      -fsanitize=address,undefined -fno-sanitize=function,vptr
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(KATA_PROFILE STREQUAL "coverage")
  add_compile_options(-O0 --coverage)
  # Children forked by an exercise end with _exit, which skips gcov's exit
  # handler; the test main wraps _exit to dump the counters first.
  add_compile_definitions(KATA_COVERAGE)
  add_link_options(--coverage -Wl,--wrap=_exit)
else()
  message(FATAL_ERROR "unknown KATA_PROFILE '${KATA_PROFILE}'")
endif()
