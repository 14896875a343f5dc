#include "collect/catch_xml.hpp"

#include <pugixml.hpp>

namespace grader {
namespace {

std::string location(const pugi::xml_node& n) {
  std::string file = n.attribute("filename").as_string();
  if (file.empty()) return "";
  return file + ":" + n.attribute("line").as_string() + ": ";
}

std::string trimmed(std::string s) {
  auto b = s.find_first_not_of(" \n\t");
  auto e = s.find_last_not_of(" \n\t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Walks a TestCase (and its Sections) in document order, collecting failures
// and the messages (INFO/CAPTURE/WARN) logged just before each.
void collect_failures(const pugi::xml_node& node, std::vector<std::string>& failures,
                      std::vector<std::string>& pending_info, int max) {
  for (auto child : node.children()) {
    if (static_cast<int>(failures.size()) >= max) return;
    std::string tag = child.name();
    if (tag == "Section") {
      collect_failures(child, failures, pending_info, max);
    } else if (tag == "Info" || tag == "Warning") {
      pending_info.push_back(trimmed(child.text().as_string()));
    } else if (tag == "Expression" && !child.attribute("success").as_bool(true)) {
      std::string f = location(child) + child.attribute("type").as_string() + "( " +
                      trimmed(child.child("Original").text().as_string()) + " )";
      auto expanded = trimmed(child.child("Expanded").text().as_string());
      auto original = trimmed(child.child("Original").text().as_string());
      if (auto ex = child.child("Exception"))
        f += "\n  threw: " + trimmed(ex.text().as_string());
      else if (auto fatal = child.child("FatalErrorCondition"))
        f += "\n  fatal: " + trimmed(fatal.text().as_string());
      else if (!expanded.empty() && expanded != original)
        f += "\n  with expansion: " + expanded;
      for (const auto& info : pending_info) f += "\n  with message: " + info;
      failures.push_back(f);
      pending_info.clear();
    } else if (tag == "Exception") {
      failures.push_back(location(child) + "unexpected exception: " + trimmed(child.text().as_string()));
    } else if (tag == "FatalErrorCondition") {
      failures.push_back(location(child) + "fatal error: " + trimmed(child.text().as_string()));
    } else if (tag == "Failure") {
      auto f = location(child) + "FAIL: " + trimmed(child.text().as_string());
      for (const auto& info : pending_info) f += "\n  with message: " + info;
      failures.push_back(f);
      pending_info.clear();
    } else if (tag == "Expression") {
      pending_info.clear();  // messages are scoped to the next assertion
    }
  }
}

}  // namespace

CatchCaseReport parse_catch_xml(const std::string& xml, const std::string& name, int max_failures) {
  CatchCaseReport report;
  pugi::xml_document doc;
  auto ok = doc.load_buffer(xml.data(), xml.size());
  if (!ok) {
    report.parse_error = ok.description();
    return report;
  }
  auto catch_node = doc.child("Catch");
  if (!catch_node || !catch_node.child("OverallResults")) {
    report.parse_error = "the report is incomplete (the process ended before Catch2 finished it)";
    return report;
  }
  report.parsed = true;

  pugi::xml_node selected;
  for (auto tc : catch_node.select_nodes(".//TestCase")) {
    std::string tc_name = tc.node().attribute("name").as_string();
    report.test_cases_run.push_back(tc_name);
    if (tc_name == name) selected = tc.node();
  }
  if (!selected) return report;

  auto overall = selected.child("OverallResult");
  report.success = overall.attribute("success").as_bool(false);
  report.std_out = overall.child("StdOut").text().as_string();
  report.std_err = overall.child("StdErr").text().as_string();

  std::vector<std::string> failures, info;
  collect_failures(selected, failures, info, max_failures);
  for (const auto& f : failures) report.failure += (report.failure.empty() ? "" : "\n") + f;
  return report;
}

}  // namespace grader
