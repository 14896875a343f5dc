#include "report/timeline_html.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "evidence.hpp"
#include "report/clean_text.hpp"

namespace grader {

namespace {

// The page's geometry, in pixels.
constexpr int kLabelWidth = 110;
constexpr int kStepWidth = 14;
constexpr int kAxisHeight = 34;
constexpr int kLaneHeight = 30;
constexpr int kBarHeight = 10;

// Characters of the failure's text on the page.
constexpr std::size_t kMessageCap = 8000;

// Text for HTML, in an element or an attribute: cleaned, then every markup character escaped.
std::string html(const std::string& text, std::size_t cap = 2000) {
  std::string out;
  for (char c : clean_text(text, cap)) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

bool all_of_class(std::string_view s, bool (*ok)(char)) {
  return !s.empty() && std::all_of(s.begin(), s.end(), ok);
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_op_char(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

std::optional<TraceEvent> parse_event(const std::string& line) {
  std::istringstream in(line);
  std::string step, vt, thread, op, object, extra;
  if (!(in >> step >> vt >> thread >> op)) return std::nullopt;
  // "timed out" is the one operation of two words.
  if (op == "timed") {
    std::string out;
    if (!(in >> out) || out != "out") return std::nullopt;
    op = "timed out";
  } else if (!all_of_class(op, is_op_char) || op.size() > 24) {
    return std::nullopt;
  }
  in >> object;
  if (in >> extra) return std::nullopt;
  if (!all_of_class(step, is_digit) || step.size() > 18 || !all_of_class(vt, is_digit) || vt.size() > 18) return std::nullopt;
  if (thread.size() < 2 || thread.size() > 8 || thread[0] != 'T' || !all_of_class(thread.substr(1), is_digit))
    return std::nullopt;
  if (!object.empty() && (object.size() > 10 || std::string_view("mcfrst").find(object[0]) == std::string_view::npos ||
                          !all_of_class(object.substr(1), is_digit)))
    return std::nullopt;
  TraceEvent e;
  e.step = std::stoull(step);
  e.vt_ns = std::stoll(vt);
  e.thread = std::stoi(thread.substr(1));
  e.op = op;
  e.object = object;
  return e;
}

std::string thread_label(int t) { return "T" + std::to_string(t) + (t == 0 ? " (main)" : ""); }

std::string ms(std::int64_t ns) { return fmt::format("{:.3f}", double(ns) / 1e6); }

bool is_lock(const std::string& op) {
  return op == "lock" || op == "timedlock" || op == "clocklock" || op == "wrlock" || op == "rdlock";
}
bool is_cond_wait(const std::string& op) { return op == "wait" || op == "timedwait" || op == "clockwait"; }
bool is_notify(const std::string& op) {
  return op == "signal" || op == "broadcast" || op == "futex_wake" || op == "sem_post";
}
// Operations after which the thread waits until its next event.
bool waits_until_next(const std::string& op) {
  return op == "futex_wait" || op == "sem_wait" || op == "sleep" || (op == "join");
}

struct Span {
  int thread;
  double x0, x1;
  std::string kind;   // "held", "wait"
  std::string label;  // tooltip
  bool open_at_end = false;
};

struct Mark {
  int thread;
  double x;
  std::string kind;  // "notify", "woken", "timeout", "step"
  std::string label;
};

// The threads named in a deadlock note's cycle ("T1 wants m3 held by T2; ...").
std::set<int> cycle_threads(const std::vector<std::string>& notes) {
  std::set<int> out;
  for (const auto& n : notes) {
    if (n.rfind("deadlock", 0) != 0) continue;
    for (std::size_t at = 0; (at = n.find('T', at)) != std::string::npos; ++at) {
      std::size_t end = at + 1;
      while (end < n.size() && is_digit(n[end])) ++end;
      if (end > at + 1 && end - at < 8 && n.compare(end, 7, " wants ") == 0) out.insert(std::stoi(n.substr(at + 1, end - at - 1)));
    }
  }
  return out;
}

}  // namespace

Trace parse_trace(const std::string& text) {
  Trace trace;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# ", 0) == 0) {
      trace.notes.push_back(line.substr(2));
      continue;
    }
    if (auto e = parse_event(line); e && (trace.events.empty() || e->step > trace.events.back().step))
      trace.events.push_back(std::move(*e));
  }
  return trace;
}

bool has_timeline(const TestResult& t) {
  return t.status != TestStatus::pass && t.status != TestStatus::skipped && !parse_trace(t.trace).events.empty();
}

std::string timeline_file(const ExerciseResult& r, std::size_t test_index) {
  return "timeline/" + r.slug + "." + r.implementation + "." + std::to_string(test_index + 1) + ".html";
}

std::string timeline_html(const TimelinePage& page) {
  auto trace = parse_trace(page.trace);
  const auto& ev = trace.events;
  std::vector<int> threads;
  for (const auto& e : ev)
    if (std::find(threads.begin(), threads.end(), e.thread) == threads.end()) threads.push_back(e.thread);
  std::sort(threads.begin(), threads.end());
  auto x_of = [&](std::size_t i) { return double(kLabelWidth + kStepWidth / 2 + int(i) * kStepWidth); };
  const double x_start = kLabelWidth, x_end = kLabelWidth + double(ev.size()) * kStepWidth + kStepWidth;

  // Lock-held spans and waits, rebuilt from the events: a lock taken while
  // another thread holds it is a wait until the thread's next event; a
  // condition-variable wait gives up the thread's latest lock until woken.
  std::vector<Span> spans;
  std::vector<Mark> marks;
  std::map<std::string, std::pair<int, double>> held;           // object -> (thread, since)
  std::map<int, std::vector<std::string>> held_by;               // thread -> objects, in order taken
  std::map<int, std::pair<double, std::string>> waiting;         // thread -> (since, what)
  std::map<int, std::string> acquire_next;                       // thread -> object it takes at its next event
  std::map<int, std::string> cond_lock;                          // thread -> the lock a cv wait gave up
  auto take = [&](int t, const std::string& obj, double x) {
    held[obj] = {t, x};
    held_by[t].push_back(obj);
  };
  auto release = [&](int t, const std::string& obj, double x, const std::string& label) {
    auto it = held.find(obj);
    double from = it != held.end() && it->second.first == t ? it->second.second : x_start;  // taken before the window
    spans.push_back({t, from, x, "held", label + " " + obj});
    if (it != held.end() && it->second.first == t) held.erase(it);
    auto& mine = held_by[t];
    mine.erase(std::remove(mine.begin(), mine.end(), obj), mine.end());
  };
  auto held_by_other = [&](int t, const std::string& obj) {
    auto it = held.find(obj);
    return it != held.end() && it->second.first != t;
  };
  for (std::size_t i = 0; i < ev.size(); ++i) {
    const auto& e = ev[i];
    double x = x_of(i);
    if (auto w = waiting.find(e.thread); w != waiting.end()) {
      spans.push_back({e.thread, w->second.first, x, "wait", w->second.second});
      waiting.erase(w);
    }
    if (auto a = acquire_next.find(e.thread); a != acquire_next.end()) {
      take(e.thread, a->second, x);
      acquire_next.erase(a);
    }
    std::string what = e.op + (e.object.empty() ? "" : " " + e.object);
    std::string label = fmt::format("step {}, {} ms: T{} {}", e.step, ms(e.vt_ns), e.thread, what);
    std::string kind = "step";
    if (is_lock(e.op)) {
      if (e.op != "rdlock" && held_by_other(e.thread, e.object)) {
        waiting[e.thread] = {x, "waits for " + e.object + " (" + e.op + "), held by T" + std::to_string(held[e.object].first)};
        acquire_next[e.thread] = e.object;
        kind = "blocked";
      } else {
        take(e.thread, e.object, x);
      }
    } else if (e.op == "trylock") {
      if (!held_by_other(e.thread, e.object)) take(e.thread, e.object, x);
    } else if (e.op == "unlock" || e.op == "rwunlock") {
      release(e.thread, e.object, x, "holds");
    } else if (is_cond_wait(e.op)) {
      auto& mine = held_by[e.thread];
      if (!mine.empty()) {
        cond_lock[e.thread] = mine.back();
        release(e.thread, mine.back(), x, "holds");
      }
      waiting[e.thread] = {x, "waits on " + e.object + " (" + e.op + ")"};
      kind = "wait";
    } else if (e.op == "woken" || e.op == "timed out") {
      kind = e.op == "woken" ? "woken" : "timeout";
      if (auto c = cond_lock.find(e.thread); c != cond_lock.end()) {
        if (held_by_other(e.thread, c->second)) {
          waiting[e.thread] = {x, "waits to retake " + c->second + ", held by T" + std::to_string(held[c->second].first)};
          acquire_next[e.thread] = c->second;
        } else {
          take(e.thread, c->second, x);
        }
        cond_lock.erase(c);
      }
    } else if (waits_until_next(e.op)) {
      waiting[e.thread] = {x, (e.op == "sleep" ? std::string("sleeps") : "waits in " + e.op) +
                                  (e.object.empty() ? "" : " on " + e.object)};
      kind = "wait";
    } else if (is_notify(e.op)) {
      kind = "notify";
    } else if (e.op == "exit") {
      kind = "exit";
    }
    marks.push_back({e.thread, x, kind, label});
  }
  for (const auto& [t, w] : waiting) spans.push_back({t, w.first, x_end, "wait", w.second + " (still, at the end)", true});
  for (const auto& [obj, h] : held) spans.push_back({h.first, h.second, x_end, "held", "holds " + obj + " (still, at the end)", true});

  auto in_cycle = cycle_threads(trace.notes);
  const int width = int(x_end) + 40;
  const int height = kAxisHeight + int(threads.size()) * kLaneHeight + 10;
  std::uint64_t total = ev.empty() ? 0 : ev.back().step + 1;

  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing on the page runs or loads: no script, no remote resource.
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n";
  out += "<title>timeline: " + html(page.exercise) + ": " + html(page.test_name, 300) + "</title>\n";
  out += R"(<style>
body { font: 14px/1.4 sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: .6em; white-space: pre-wrap; overflow-wrap: anywhere; }
.failure-text { border-color: #c33; }
.scroll { overflow-x: auto; border: 1px solid #ddd; }
svg text { font: 11px monospace; }
.lane-bg { fill: #fafafa; } .lane.in-cycle .lane-bg { fill: #fdeaea; }
.lane-label { font-weight: bold; }
.held { fill: #3b78c4; } .wait { fill: #e8a33d; } .wait.open { fill: #d9534f; }
.ev-step { fill: #777; } .ev-blocked { fill: #d9534f; } .ev-wait { fill: #e8a33d; }
.ev-notify { fill: #7a3fc4; } .ev-woken { fill: #2e9d4f; } .ev-timeout { fill: #c47a00; } .ev-exit { fill: #000; }
.tick { stroke: #ccc; } .failure-line { stroke: #d00; stroke-width: 2; } .failure-label { fill: #d00; font-weight: bold; }
table { border-collapse: collapse; font: 12px monospace; } td, th { padding: 1px 8px; border-bottom: 1px solid #eee; text-align: left; }
.legend span { display: inline-block; margin-right: 1.2em; }
.swatch { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: middle; }
</style>
</head>
<body>
)";
  out += "<h1>" + html(page.exercise) + " (" + html(page.implementation) + ", profile " + html(page.profile) +
         "): <span class=\"test-name\">" + html(page.test_name, 500) + "</span></h1>\n";
  out += "<p>Verdict: <strong class=\"status\">" + html(page.status) + "</strong>: <code class=\"summary\">" +
         html(page.message.substr(0, page.message.find('\n')), 300) + "</code> (the whole text is below the lanes).</p>\n";
  const std::string failure_text =
      "<h2>What failed</h2>\n<pre class=\"failure-text\" id=\"failure\">" + html(page.message, kMessageCap) + "</pre>\n";
  if (!trace.notes.empty()) {
    out += "<p>The scheduler's last word:</p>\n<ul class=\"notes\">\n";
    for (const auto& n : trace.notes) out += "<li>" + html(n, 1000) + "</li>\n";
    out += "</ul>\n";
  }
  out += "<h2>The schedule</h2>\n";
  if (ev.empty()) {
    out += "<p>No scheduling point was recorded.</p>\n" + failure_text + "</body>\n</html>\n";
    return out;
  }
  out += fmt::format(
      "<p class=\"extent\">The last {} of {} scheduling points (steps {} to {}, virtual time {} to {} ms), one lane per "
      "thread; the page keeps at most {}. Every point is one column: left to right is the order the scheduler ran "
      "them, the axis gives the virtual time. Hold the pointer over a mark for its step.</p>\n",
      ev.size(), total, ev.front().step, ev.back().step, ms(ev.front().vt_ns), ms(ev.back().vt_ns), kTimelineEvents);
  out += R"(<p class="legend"><span><i class="swatch held"></i>lock held</span><span><i class="swatch wait"></i>waiting (lock, condition variable, join, sleep, futex)</span><span><i class="swatch" style="background:#d9534f"></i>blocked at the end</span><span><i class="swatch" style="background:#7a3fc4"></i>notify / post</span><span><i class="swatch" style="background:#2e9d4f"></i>woken</span><span><i class="swatch" style="background:#c47a00"></i>timed out</span></p>
)";
  // Swatches take the SVG classes' colours as backgrounds.
  out += "<style>.swatch.held{background:#3b78c4}.swatch.wait{background:#e8a33d}</style>\n";
  out += fmt::format("<div class=\"scroll\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
                     "viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"timeline\">\n",
                     width, height, width, height);
  // The axis: every 10th point, with its virtual time.
  out += "<g class=\"axis\">\n";
  for (std::size_t i = 0; i < ev.size(); i += 10) {
    double x = x_of(i);
    out += fmt::format("<line class=\"tick\" x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\"/>", x, kAxisHeight - 6, x,
                       height - 10);
    out += fmt::format("<text x=\"{:.1f}\" y=\"{}\">{} ms</text>\n", x, kAxisHeight - 18, ms(ev[i].vt_ns));
    out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" fill=\"#999\">#{}</text>\n", x, kAxisHeight - 7, ev[i].step);
  }
  out += "</g>\n";
  for (std::size_t lane = 0; lane < threads.size(); ++lane) {
    int t = threads[lane];
    int y = kAxisHeight + int(lane) * kLaneHeight;
    double mid = y + kLaneHeight / 2.0;
    out += fmt::format("<g class=\"lane{}\" data-thread=\"T{}\">\n", in_cycle.count(t) ? " in-cycle" : "", t);
    out += fmt::format("<rect class=\"lane-bg\" x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n", y + 1, width, kLaneHeight - 2);
    out += fmt::format("<text class=\"lane-label\" x=\"6\" y=\"{:.1f}\">{}</text>\n", mid + 4,
                       html(thread_label(t) + (in_cycle.count(t) ? " ✖" : "")));
    for (const auto& s : spans) {
      if (s.thread != t) continue;
      bool wait = s.kind == "wait";
      out += fmt::format("<rect class=\"{}{}\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\"><title>T{} {}</title></rect>\n",
                         s.kind, s.open_at_end && wait ? " open" : "", s.x0, wait ? mid + 2 : mid - kBarHeight - 1,
                         std::max(2.0, s.x1 - s.x0), kBarHeight, t, html(s.label));
    }
    for (const auto& m : marks) {
      if (m.thread != t) continue;
      if (m.kind == "notify")
        out += fmt::format("<path class=\"ev ev-notify\" d=\"M{0:.1f} {1:.1f} l5 5 l-5 5 l-5 -5 z\"><title>{2}</title></path>\n",
                           m.x, mid - 5, html(m.label));
      else
        out += fmt::format("<circle class=\"ev ev-{}\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\"><title>{}</title></circle>\n",
                           m.kind, m.x, mid, m.kind == "step" ? 2.5 : 4, html(m.label));
    }
    out += "</g>\n";
  }
  // The failure: after the last point.
  double fx = x_end - kStepWidth / 2.0;
  std::string why = trace.notes.empty() ? "the test failed here" : trace.notes.back();
  out += fmt::format("<g class=\"failure\"><line class=\"failure-line\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\"/>"
                     "<text class=\"failure-label\" x=\"{3:.1f}\" y=\"{4}\">failed</text><title>{5}</title></g>\n",
                     fx, kAxisHeight - 4, height - 4, fx - 16, 10, html(why));
  out += "</svg>\n</div>\n" + failure_text;
  // The same events as a table, for reading and copying.
  out += "<h2>The events</h2>\n<table class=\"events\">\n<tr><th>step</th><th>time (ms)</th><th>thread</th><th>operation</th></tr>\n";
  for (const auto& e : ev)
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>T{}</td><td>{}</td></tr>\n", e.step, ms(e.vt_ns), e.thread,
                       html(e.op + (e.object.empty() ? "" : " " + e.object)));
  out += "</table>\n<p>Objects are numbered in order of first use: m mutex, c condition variable, f futex word, r rwlock, "
         "s semaphore, t thread. Lock-held spans and waits are rebuilt from the scheduling points: a lock counts as held "
         "from the point that asked for it (or, when another thread held it, from the thread's next point). Replay the "
         "schedule with the same seed: <code>./kata check " +
         html(page.exercise) + " --profile " + html(page.profile) + " --seed N</code>.</p>\n</body>\n</html>\n";
  return out;
}

}  // namespace grader
