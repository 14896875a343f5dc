#include <catch2/catch.hpp>

#include "build/build.hpp"
#include "build/compile_digest.hpp"

using namespace grader;

TEST_CASE("the digest shows the learner's errors first, with the source line and caret", "[build]") {
  std::string log =
      "[1/3] Building CXX object CMakeFiles/16-deadlock.exercise.dir/tests/16-deadlock/bank_test.cpp.o\n"
      "FAILED: CMakeFiles/16-deadlock.exercise.dir/exercises/16-deadlock/bank.cpp.o\n"
      "clang++ -c /r/exercises/16-deadlock/bank.cpp\n"
      "/r/tests/support/kata/test.hpp:3:1: error: something in support\n"
      "/r/exercises/16-deadlock/bank.cpp:12:5: error: use of undeclared identifier 'mtx'\n"
      "    mtx.lock();\n"
      "    ^\n"
      "2 errors generated.\n"
      "ninja: build stopped: subcommand failed.\n";
  CHECK(compile_digest(log, "exercises/16-deadlock/") ==
        "/r/exercises/16-deadlock/bank.cpp:12:5: error: use of undeclared identifier 'mtx'\n"
        "    mtx.lock();\n"
        "    ^\n"
        "/r/tests/support/kata/test.hpp:3:1: error: something in support");
  auto failed = failures_by_target(log);
  REQUIRE(failed.size() == 1);
  CHECK(failed.count("16-deadlock.exercise") == 1);
  CHECK_THAT(failed["16-deadlock.exercise"], Catch::Contains("undeclared identifier 'mtx'"));
}

TEST_CASE("a link error is attributed to its binary and shown", "[build]") {
  // CMake's link rule ends its FAILED line with a space.
  std::string log =
      "FAILED: bin/20-thread-pool/exercise \n"
      "ld.lld: error: undefined symbol: ThreadPool::enqueue(Job)\n"
      ">>> referenced by pool_test.cpp\n"
      "[3/4] Linking CXX executable bin/20-thread-pool/solution\n";
  auto failed = failures_by_target(log);
  REQUIRE(failed.count("20-thread-pool.exercise") == 1);
  CHECK(failed.size() == 1);  // nothing left unattributed: the other targets keep their binaries
  CHECK(compile_digest(failed["20-thread-pool.exercise"]) == "ld.lld: error: undefined symbol: ThreadPool::enqueue(Job)");
}

TEST_CASE("an error in a library header leads with the learner's line that caused it", "[build]") {
  std::string log =
      "/usr/include/c++/12/bits/std_mutex.h:98:5: error: no matching function for call to 'lock'\n"
      "      lock();\n"
      "      ^\n"
      "/usr/include/c++/12/bits/unique_lock.h:71:2: note: in instantiation of member function requested here\n"
      "/r/exercises/16-deadlock/bank.cpp:30:22: note: in instantiation of function template specialization requested here\n"
      "    std::scoped_lock both(a, 7);\n"
      "                     ^\n"
      "1 error generated.\n";
  CHECK(compile_digest(log, "exercises/16-deadlock/") ==
        "/r/exercises/16-deadlock/bank.cpp:30:22: note: in instantiation of function template specialization requested here\n"
        "    std::scoped_lock both(a, 7);\n"
        "                     ^\n"
        "/usr/include/c++/12/bits/std_mutex.h:98:5: error: no matching function for call to 'lock'\n"
        "      lock();\n"
        "      ^");
}

TEST_CASE("with hidden tests, an error in a test file keeps its message but not its lines", "[build]") {
  std::string log =
      "/r/tests/15-barrier/barrier_test.cpp:133:44: error: no member named 'waiting' in 'Barrier'\n"
      "  const std::size_t waiting = party->barrier.waiting();\n"
      "                              ~~~~~~~~~~~~~ ^\n"
      "1 error generated.\n";
  CHECK(compile_digest(log, "exercises/15-barrier/", 3, true) ==
        "in a hidden test file (its lines are not shown): error: no member named 'waiting' in 'Barrier'");
  CHECK(compile_digest("something else entirely\n", "exercises/15-barrier/", 3, true) ==
        "the build failed in a way that quotes no file of yours (its log is not shown)");
}
