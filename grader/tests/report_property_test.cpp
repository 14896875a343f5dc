// Thousands of random runs whose names, messages and output are random bytes
// (seeded, with the hostile ones mixed in): the sanitiser and every report
// writer must still produce valid UTF-8 without surrogates, noncharacters or
// stray controls, JSON that parses, XML that parses with only XML characters,
// and every format's length limits, cut marker included.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <pugixml.hpp>

#include "report/clean_text.hpp"
#include "report/formats.hpp"
#include "report/table.hpp"
#include "run_tool.hpp"

using namespace grader;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr unsigned kSeed = 20261205;
constexpr int kRuns = 2000;
constexpr std::size_t kOutputCap = 16 * 1024;
constexpr std::size_t kExercismOutputCap = 500;
constexpr std::size_t kMarkdownCap = 65536;

// Decodes UTF-8 on its own terms (not the sanitiser's): the code points, or
// false for anything ill-formed, a surrogate or a noncharacter.
bool decode(const std::string& s, std::vector<char32_t>& out) {
  out.clear();
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    char32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int k = 1; k < len; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if ((b >> 6) != 0x2) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    static const char32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[len] || cp > 0x10FFFF) return false;           // overlong, too large
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;                // surrogate
    if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) return false;  // noncharacter
    out.push_back(cp);
    i += len;
  }
  return true;
}

bool control(char32_t cp) {
  return (cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
         cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// XML 1.0's Char production.
bool xml_char(char32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF);
}

// What any report or the terminal may hold: valid UTF-8, no controls but \n
// and \t; with `xml`, only XML 1.0 characters. "" or what is wrong.
std::string problem_in(const std::string& s, bool xml = false) {
  std::vector<char32_t> cps;
  if (!decode(s, cps)) return "not valid UTF-8 (or a surrogate or noncharacter)";
  for (auto cp : cps) {
    if (control(cp)) return fmt::format("control character U+{:04X}", static_cast<unsigned>(cp));
    if (xml && !xml_char(cp)) return fmt::format("not an XML character: U+{:04X}", static_cast<unsigned>(cp));
  }
  return "";
}

void check_text(const std::string& what, const std::string& s, bool xml = false) {
  auto problem = problem_in(s, xml);
  if (problem.empty()) return;  // no Catch2 assertion per string: there are millions
  INFO(what << ": " << problem);
  REQUIRE(problem.empty());
}

void check_xml_text(const std::string& what, const std::string& s) { check_text(what, s, true); }

const std::vector<std::string> kHostile = {
    "\xED\xA0\x80", "\xED\xBF\xBF", "\xEF\xBF\xBE", "\xEF\xBF\xBF", "\xEF\xB7\x90", "\xC0\xAF", "\xE0\x80\xAF",
    "\xF4\x90\x80\x80", "\xF5", "\xFF", "\x80", "\xBF", "\xC2", "\xE2\x82", "\xF0\x9F\x98", "\x1b[2J", "\x1b[H",
    "\x1b]0;t\x07", std::string(1, '\0'), "\r", "\r\n", "\x7f", "\xC2\x9B", "\xE2\x80\xAE", "\xF0\x9F\xBF\xBE",
    "]]>", "<", "&", "\"", "'", "```", "\\", "\\x1b", "д", "\xF0\x9F\x98\x80", "\n", "\t", "\xEF\xBB\xBF",
    "\n[... 9 characters cut ...]\n", "<!-- concurrency-kata-report -->", "</details>", "score: 10 of 10"};

class Bytes {
 public:
  explicit Bytes(unsigned seed) : rng_(seed) {}

  int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  // Mostly short; now and then long enough to reach every format's limit.
  std::string text() {
    static const std::size_t lengths[] = {0, 8, 60, 300, 499, 501, 1200, 2000, 4000, 16384, 20000};
    auto target = lengths[below(10) < 7 ? below(5) : 5 + below(6)];
    std::string s;
    int style = below(4);  // 0 random bytes, 1 hostile pieces, 2 Cyrillic, 3 a mix
    while (s.size() < target) {
      int pick = style == 3 ? below(3) : style;
      if (pick == 0) s += static_cast<char>(below(256));
      else if (pick == 1) s += kHostile[below(static_cast<int>(kHostile.size()))];
      else s += below(20) == 0 ? "\n" : "д";
    }
    return s;
  }

  std::string name() {
    auto s = text();
    return s.empty() ? std::string("\x1b") : s.substr(0, 200);
  }

 private:
  std::mt19937 rng_;
};

RunSummary random_run(Bytes& bytes) {
  static const char* profiles[] = {"plain", "tsan", "asan", "noise", "coverage"};
  static const Verdict verdicts[] = {Verdict::pass, Verdict::fail, Verdict::build_error, Verdict::forbidden,
                                     Verdict::no_tests, Verdict::error};
  RunSummary run;
  run.finished = bytes.below(20) != 0;
  run.seconds = bytes.below(1000) / 7.0;
  int exercises = bytes.below(4);
  for (int e = 0; e < exercises; ++e) {
    ExerciseResult r;
    r.slug = "1" + std::to_string(e) + "-exercise";
    r.title = bytes.name();
    r.implementation = "exercise";
    r.profile = profiles[bytes.below(5)];
    r.verdict = verdicts[bytes.below(6)];
    r.message = bytes.text();
    r.max_points = 10;
    r.points = r.verdict == Verdict::pass ? 10 : 0;
    r.seconds = bytes.below(100) / 8.0;
    int tests = r.verdict == Verdict::build_error ? 0 : bytes.below(5);
    for (int t = 0; t < tests; ++t)
      r.tests.push_back({bytes.name(), static_cast<TestStatus>(bytes.below(7)), bytes.below(4) == 0, bytes.text(),
                         bytes.text(), bytes.below(100) / 16.0});
    run.results.push_back(std::move(r));
  }
  return run;
}

// Every string anywhere in a JSON value.
void strings_of(const json::value& v, std::vector<std::string>& out) {
  if (v.is_string()) out.emplace_back(v.as_string());
  if (v.is_array())
    for (const auto& x : v.as_array()) strings_of(x, out);
  if (v.is_object())
    for (const auto& [key, x] : v.as_object()) {
      out.emplace_back(key);
      strings_of(x, out);
    }
}

json::value parse_json(const std::string& what, const std::string& text) {
  INFO(what);
  check_text(what, text);
  json::value v;
  REQUIRE_NOTHROW(v = json::parse(text));
  std::vector<std::string> strings;
  strings_of(v, strings);
  for (const auto& s : strings) check_text(what + " (a string in it)", s);
  return v;
}

void check_results_json(const std::string& text) {
  auto v = parse_json("results.json", text);
  for (const auto& e : v.at("exercises").as_array()) {
    REQUIRE(char_count(e.at("message").as_string()) <= kOutputCap);
    for (const auto& t : e.at("tests").as_array()) {
      REQUIRE(!t.at("name").as_string().empty());
      REQUIRE(char_count(t.at("message").as_string()) <= kOutputCap);
      REQUIRE(char_count(t.at("output").as_string()) <= kOutputCap);
    }
  }
}

void check_gradescope_json(const std::string& text, const RunSummary& run) {
  auto v = parse_json("gradescope.json", text);
  static const std::set<std::string> top = {"score",     "execution_time",    "output",     "output_format",
                                            "visibility", "stdout_visibility", "extra_data", "tests",
                                            "leaderboard"};
  static const std::set<std::string> test = {"score", "max_score", "status",     "name",      "number",
                                             "output", "output_format", "tags", "visibility", "extra_data"};
  for (const auto& [key, x] : v.as_object()) REQUIRE(top.count(std::string(key)));
  for (const auto& t : v.at("tests").as_array()) {
    for (const auto& [key, x] : t.as_object()) REQUIRE(test.count(std::string(key)));
    REQUIRE(char_count(t.at("output").as_string()) <= kOutputCap);
  }
  if (!run.finished || run.results.empty()) {
    REQUIRE(v.at("score").as_int64() == 0);
    REQUIRE(std::string(v.at("output").as_string()).rfind("error: ", 0) == 0);
  }
}

void check_exercism_json(const std::string& text) {
  auto v = parse_json("exercism json", text);
  for (const auto& t : v.at("tests").as_array())
    if (t.as_object().contains("output")) REQUIRE(char_count(t.at("output").as_string()) <= kExercismOutputCap);
}

void check_junit(const std::string& text) {
  check_xml_text("junit.xml", text);
  pugi::xml_document doc;
  auto parsed = doc.load_string(text.c_str());
  INFO(parsed.description());
  REQUIRE(parsed);
  // Character references count too: what they stand for must be XML characters.
  struct Walker : pugi::xml_tree_walker {
    bool for_each(pugi::xml_node& node) override {
      check_xml_text("junit.xml text", node.value());
      for (auto a : node.attributes()) check_xml_text("junit.xml attribute", a.value());
      return true;
    }
  } walker;
  doc.traverse(walker);
}

void check_markdown(const std::string& md) {
  check_text("report.md", md);
  REQUIRE(md.rfind(kMarkdownMarker, 0) == 0);
  REQUIRE(char_count(md) <= kMarkdownCap);
}

}  // namespace

TEST_CASE("the sanitiser makes any bytes valid text within any limit", "[clean_text][property]") {
  Bytes bytes(kSeed);
  INFO("seed " << kSeed);
  for (int i = 0; i < 5 * kRuns; ++i) {
    auto raw = bytes.text();
    auto clean = clean_text(raw);
    check_xml_text("clean_text", clean);
    if (clean_text(clean) != clean) REQUIRE(clean_text(clean) == clean);
    for (std::size_t limit : {std::size_t{0}, std::size_t{5}, std::size_t{29}, std::size_t{31}, std::size_t{500},
                              std::size_t{2000}, kOutputCap}) {
      auto cut = clean_text(raw, limit);
      check_xml_text("clean_text cut", cut);
      if (char_count(cut) > limit) REQUIRE(char_count(cut) <= limit);
      if (char_count(clean) <= limit && cut != clean) REQUIRE(cut == clean);
    }
  }
}

TEST_CASE("every report format stays valid whatever a learner's program prints", "[reports][property]") {
  Bytes bytes(kSeed + 1);
  INFO("seed " << kSeed + 1);
  for (int i = 0; i < kRuns; ++i) {
    INFO("run " << i);
    auto run = random_run(bytes);
    check_results_json(results_json(run));
    check_junit(junit_xml(run));
    check_markdown(markdown_report(run));
    check_gradescope_json(gradescope_json(run), run);
    for (const auto& r : run.results) check_exercism_json(exercism_json(r));
    std::ostringstream terminal;
    print_table(terminal, run.results);
    print_failures(terminal, run.results, 1000);
    print_score(terminal, run.results);
    check_text("terminal", terminal.str());
  }
}

TEST_CASE("reports of random runs validate against their schemas", "[reports][property]") {
  Bytes bytes(kSeed + 2);
  auto xsd = fs::path(GRADER_SOURCE_DIR) / "../shared/validators/junit-10.xsd";
  if (!fs::exists(xsd)) xsd = fs::path(GRADER_SOURCE_DIR) / "grader/tests/junit-10.xsd";
  auto schema = [](const char* path) { return std::string(GRADER_SOURCE_DIR) + "/" + path; };
  for (int i = 0; i < 8; ++i) {
    auto run = random_run(bytes);
    auto dir = fs::temp_directory_path() / ("grader-property-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    REQUIRE(write_reports(dir, run).empty());
    INFO("seed " << kSeed + 2 << ", run " << i);
    std::vector<std::vector<std::string>> checks = {
        {"/usr/bin/python3", "-m", "jsonschema", "-i", (dir / "results.json").string(),
         schema("docs/schemas/results.schema.json")},
        {"/usr/bin/python3", "-m", "jsonschema", "-i", (dir / "gradescope.json").string(),
         schema("grader/tests/gradescope.schema.json")}};
    for (const auto& r : run.results)
      checks.push_back({"/usr/bin/python3", "-m", "jsonschema", "-i",
                        (dir / "exercism" / (r.slug + ".json")).string(), schema("grader/tests/exercism.schema.json")});
    if (fs::exists(xsd)) checks.push_back({"xmllint", "--noout", "--schema", xsd.string(), (dir / "junit.xml").string()});
    for (const auto& argv : checks) {
      auto r = run_tool(argv);
      INFO(argv.back() << " " << argv[argv.size() - 2] << "\n" << r.output << r.start_error);
      CHECK(r.exited_ok());
    }
    fs::remove_all(dir);
  }
}
