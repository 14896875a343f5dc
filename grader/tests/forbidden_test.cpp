#include <catch2/catch.hpp>

#include "build/forbidden.hpp"

using namespace grader;

TEST_CASE("a forbidden symbol is found in code, by line", "[forbidden]") {
  std::string src = "#include <thread>\nvoid f() {\n  std::this_thread::sleep_for(1ms);\n}\n";
  CHECK(find_symbol(src, "sleep_for") == std::vector<int>{3});
  CHECK(find_symbol(src, "std::this_thread::sleep_for") == std::vector<int>{3});
  CHECK(find_symbol(src, "std :: this_thread :: sleep_for") == std::vector<int>{});  // symbols are written without spaces
}

TEST_CASE("a forbidden symbol in comments or strings does not count", "[forbidden]") {
  std::string src = "// sleep_for is tempting\n/* sleep_for\n */ auto s = \"sleep_for\"; auto r = R\"x(sleep_for)x\";\n";
  CHECK(find_symbol(src, "sleep_for").empty());
}

TEST_CASE("only whole identifiers match", "[forbidden]") {
  CHECK(find_symbol("my_sleep_for(); sleep_for_ever();", "sleep_for").empty());
  CHECK(find_symbol("x.detach();", "detach") == std::vector<int>{1});
  CHECK(find_symbol("std :: thread t;", "std::thread") == std::vector<int>{1});
}

TEST_CASE("comments are blanked but lines are kept", "[forbidden]") {
  CHECK(strip_comments_and_strings("a // b\nc /* d\ne */ f 'g'") == "a     \nc     \n     f    ");
}
