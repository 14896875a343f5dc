// The one cleaner of learner-shaped text: what it keeps, what it replaces,
// how it shows controls, and how it cuts, word for word.
#include <catch2/catch.hpp>

#include <string>

#include "report/clean_text.hpp"

using namespace grader;
using namespace std::string_literals;

namespace {

const std::string fffd = "\xEF\xBF\xBD";

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("clean text keeps printable UTF-8, tabs and newlines", "[clean_text]") {
  CHECK(clean_text("ok\tfine\n") == "ok\tfine\n");
  CHECK(clean_text("Что такое гонка данных?") == "Что такое гонка данных?");
  CHECK(clean_text("\xF0\x9F\x98\x80 \xF4\x8F\xBF\xBD") == "\xF0\x9F\x98\x80 \xF4\x8F\xBF\xBD");  // U+1F600, U+10FFFD
  CHECK(clean_text(fffd) == fffd);
  CHECK(clean_text("a \\x1b that was typed") == "a \\x1b that was typed");
}

TEST_CASE("clean text shows control characters instead of sending them", "[clean_text]") {
  CHECK(clean_text("\x1b[2J\x1b[Hscore: 10 of 10") == "\\x1b[2J\\x1b[Hscore: 10 of 10");
  CHECK(clean_text("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
  CHECK(clean_text("nul\0here"s) == "nul\\x00here");
  CHECK(clean_text("bell\x07 del\x7f") == "bell\\x07 del\\x7f");
  CHECK(clean_text("a\r\nb\rc") == "a\nb\\x0dc");
  CHECK(clean_text("\xC2\x9B" "2J") == "\\u009b2J");                 // C1 CSI
  CHECK(clean_text("\xC2\x85") == "\\u0085");                        // C1 next line
  CHECK(clean_text("10\xE2\x80\xAE" "01") == "10\\u202e01");        // right-to-left override
  CHECK(clean_text("\xE2\x81\xA6x\xE2\x81\xA9") == "\\u2066x\\u2069");  // isolates
}

TEST_CASE("clean text replaces every ill-formed UTF-8 part with U+FFFD", "[clean_text]") {
  CHECK(clean_text("\xED\xA0\x80") == fffd + fffd + fffd);         // surrogate U+D800
  CHECK(clean_text("\xED\xBF\xBF") == fffd + fffd + fffd);         // surrogate U+DFFF
  CHECK(clean_text("\xC0\xAF") == fffd + fffd);                    // overlong '/'
  CHECK(clean_text("\xE0\x80\xAF") == fffd + fffd + fffd);         // overlong '/'
  CHECK(clean_text("\xF0\x80\x80\xAF") == fffd + fffd + fffd + fffd);
  CHECK(clean_text("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);  // U+110000
  CHECK(clean_text("\xF5\xFF") == fffd + fffd);
  CHECK(clean_text("\x80\xBF") == fffd + fffd);                    // lone continuation bytes
  CHECK(clean_text("\xE2\x82x") == fffd + "x");                    // truncated, one part
  CHECK(clean_text("end \xF0\x9F\x98") == "end " + fffd);          // truncated at the end
  CHECK(clean_text("\xD0") == fffd);
}

TEST_CASE("clean text replaces noncharacters with U+FFFD", "[clean_text]") {
  CHECK(clean_text("\xEF\xBF\xBE") == fffd);      // U+FFFE
  CHECK(clean_text("\xEF\xBF\xBF") == fffd);      // U+FFFF
  CHECK(clean_text("\xEF\xB7\x90") == fffd);      // U+FDD0
  CHECK(clean_text("\xEF\xB7\xAF") == fffd);      // U+FDEF
  CHECK(clean_text("\xF0\x9F\xBF\xBE") == fffd);  // U+1FFFE
  CHECK(clean_text("\xF4\x8F\xBF\xBF") == fffd);  // U+10FFFF
  CHECK(clean_text("\xEF\xB7\xB0") == "\xEF\xB7\xB0");  // U+FDF0 is a character
}

TEST_CASE("clean text cleaned again is the same", "[clean_text]") {
  for (std::string s : {"\x1b[2J\r\n\xED\xA0\x80", "\xC2\x9B\xEF\xBF\xBE\\x1b\\u202e", "\xE2\x80\xAE\t\x00"}) {
    auto once = clean_text(s);
    CHECK(clean_text(once) == once);
  }
}

TEST_CASE("clean text cuts on character boundaries, its marker within the limit", "[clean_text]") {
  CHECK(clean_text("abcdefghij", 10) == "abcdefghij");
  CHECK(clean_text(std::string(100, 'a'), 40) == "aaaaa\n[... 90 characters cut ...]\naaaaa");
  CHECK(char_count(clean_text(std::string(100, 'a'), 40)) == 39);

  // 600 Cyrillic letters (2 bytes each) into Exercism's 500 characters.
  auto cut = clean_text(repeat("д", 600), 500);
  CHECK(cut == repeat("д", 235) + "\n[... 130 characters cut ...]\n" + repeat("д", 235));
  CHECK(char_count(cut) == 500);

  // An escape is cut whole or kept whole.
  CHECK(clean_text(std::string(50, '\x1b'), 40) == "\\x1b\n[... 192 characters cut ...]\n\\x1b");
  // The limit counts the cleaned text, escapes included.
  CHECK(clean_text("\x1b\x1b\x1b", 12) == "\\x1b\\x1b\\x1b");
  // Too little room for the marker: the head alone.
  CHECK(clean_text("abcdefghijklmnopqrstuvwxyz0123456789", 10) == "abcdefghij");
  CHECK(clean_text("дддддд", 3) == "ддд");
}

TEST_CASE("characters are counted as code points", "[clean_text]") {
  CHECK(char_count("") == 0);
  CHECK(char_count("abc") == 3);
  CHECK(char_count("д\xF0\x9F\x98\x80") == 2);
}
