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
  std::string log =
      "FAILED: bin/20-thread-pool/exercise\n"
      "ld.lld: error: undefined symbol: ThreadPool::enqueue(Job)\n"
      ">>> referenced by pool_test.cpp\n"
      "[3/4] Linking CXX executable bin/20-thread-pool/solution\n";
  auto failed = failures_by_target(log);
  REQUIRE(failed.count("20-thread-pool.exercise") == 1);
  CHECK(compile_digest(failed["20-thread-pool.exercise"]) == "ld.lld: error: undefined symbol: ThreadPool::enqueue(Job)");
}
