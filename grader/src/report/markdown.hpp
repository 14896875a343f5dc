// report: text a learner controls, made safe inside Markdown.
#pragma once

#include <string>

namespace grader {

/// An inline code span that shows `text` literally: control bytes and bytes
/// outside ASCII as \xNN, a newline as \n, and a fence of backticks longer
/// than any run inside it (CommonMark), so the text cannot end the span.
std::string markdown_code_span(const std::string& text);

}  // namespace grader
