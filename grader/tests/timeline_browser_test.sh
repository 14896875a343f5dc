#!/usr/bin/env bash
# The failure timeline page in a real browser: a deadlock and a failing run
# of a demo program, and a real 20-thread-pool mutant failing its test, under
# the explore scheduler leave their traces, the grader's page writer
# draws them with a hostile test name and message, and headless Chromium
# (Debian's chromium) loads each page. The DOM it built must hold one lane per
# thread of the trace with the thread's label, the failure's text, and no
# script element: the learner's "<script>" shows as text.
#   timeline_browser_test.sh TIMELINE_PAGE_BINARY [path/to/libkata_explore.so]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
page_tool="$1"
browser="$(command -v chromium || true)"
if [ -z "$browser" ]; then
  echo "FAILED: chromium is not installed: this test opens the timeline page in a browser." >&2
  echo "Install it with: apt-get install chromium (./kata test installs it)" >&2
  exit 1
fi
work="$(mktemp -d)"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
lib="${2:-}"
. "$root/tests/support/explore/test/build_demo.sh"
# A real failing 20-thread-pool: its tests against the solution with the
# mutant whose enqueue checks the shutdown flag and queues the task under two
# locks, an interleaving the explore scheduler finds.
mkdir "$work/pool20"
cp "$root/solutions/20-thread-pool/"* "$work/pool20/"
patch --quiet -p1 -d "$work/pool20" \
  <"$root/tests/20-thread-pool/mutants/submit_checks_shutdown_under_another_lock/mutant.patch"
clang++ -std=c++20 -O0 -g -pthread -c -o "$work/pool20/main.o" "$root/tests/support/main.cpp"
clang++ -std=c++20 -O0 -g -pthread -include "$root/tests/support/pch.hpp" -I"$work/pool20" -I"$root/tests/support" \
  -o "$work/pool" "$root/tests/20-thread-pool/thread_pool_test.cpp" "$work/pool20/thread_pool.cpp" "$work/pool20/main.o"
pool_test='a task enqueued as shutdown begins is refused or run\, never left behind'

failures=0
check() { if "$@"; then echo "ok: ${what}"; else echo "FAILED: ${what}"; failures=$((failures + 1)); fi; }

hostile_name='pool <script>document.title="owned"</script> & <img src=x onerror=alert(1)>'
for mode in deadlock fail pool; do
  program=("$work/demo" "$mode")
  [ "$mode" = pool ] && program=("$work/pool" "$pool_test")
  set +e
  env LD_PRELOAD="$lib" KATA_EXPLORE_SEED=1 KATA_EXPLORE_TRACE="$work/$mode.trace" timeout 60 "${program[@]}" \
    >"$work/$mode.out" 2>"$work/$mode.err"
  status=$?
  set -e
  if [ "$mode" = pool ]; then
    what="pool: 20-thread-pool's mutant fails its test under explore (exit $status)"
    check bash -c "[ $status -ne 0 ] && grep -q 'REQUIRE( ran == accepted )' '$work/pool.out'"
  fi
  # The verdict's text as the grader shows it: the test's output, with a hostile assertion on top.
  { printf '%s\n' 'thread_pool_test.cpp:42: REQUIRE( name == "<script>document.title=1</script>" ) failed'
    cat "$work/$mode.out" "$work/$mode.err"; } >"$work/$mode.message"
  "$page_tool" "$work/$mode.trace" "$hostile_name" "$work/$mode.message" "$work/$mode.html"
  # --dump-dom prints the DOM after the page loaded (and any script ran).
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir="$work/profile" \
    --dump-dom "file://$work/$mode.html" >"$work/$mode.dom" 2>"$work/$mode.browser.log" || true
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir="$work/profile" \
    --window-size=1600,900 --screenshot="$work/$mode.png" "file://$work/$mode.html" >>"$work/$mode.browser.log" 2>&1 || true
  what="$mode: chromium loaded the page ($(wc -c <"$work/$mode.dom") bytes of DOM)"
  check grep -q '</html>' "$work/$mode.dom"
  what="$mode: chromium drew a screenshot"
  check bash -c "[ -s '$work/$mode.png' ] && head -c 8 '$work/$mode.png' | grep -q PNG"
  # The threads the trace names, and what the browser's DOM shows.
  threads=$(awk '$3 ~ /^T[0-9]+$/ {print $3}' "$work/$mode.trace" | sort -u | sort -k1.2n | tr '\n' ' ')
  what="$mode: one lane per thread of the trace ($threads), labelled, a failure mark, the failing text, no script"
  check /usr/bin/python3 - "$work/$mode.dom" "$threads" "$mode" <<'PY'
import sys
from html.parser import HTMLParser

dom, threads, mode = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2].split(), sys.argv[3]

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.lanes, self.labels, self.scripts, self.handlers = [], [], [], 0, []
        self.failure_text, self.title, self.failure_marks, self.cycle_lanes = "", "", 0, []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in ("meta", "link", "br", "img", "input", "hr"): self.stack.append((tag, a))
        if tag == "script": self.scripts += 1
        self.handlers += [k for k in a if k.startswith("on")]
        cls = (a.get("class") or "").split()
        if tag == "g" and "lane" in cls:
            self.lanes.append(a.get("data-thread"))
            if "in-cycle" in cls: self.cycle_lanes.append(a.get("data-thread"))
        if tag == "g" and "failure" in cls: self.failure_marks += 1
    def handle_endtag(self, tag):
        while self.stack and self.stack.pop()[0] != tag: pass
    def handle_data(self, data):
        if not self.stack: return
        tag, a = self.stack[-1]
        if tag == "text" and "lane-label" in (a.get("class") or ""): self.labels.append(data)
        if tag == "pre" and a.get("id") == "failure": self.failure_text += data
        if tag == "title" and len(self.stack) >= 2 and self.stack[-2][0] == "head": self.title += data

p = Page()
p.feed(dom)
problems = []
if p.lanes != threads: problems.append(f"lanes {p.lanes}, the trace's threads {threads}")
if [l.split()[0] for l in p.labels] != threads: problems.append(f"lane labels {p.labels}")
if "T0" in threads and "T0 (main)" not in p.labels: problems.append("the main thread's lane is not labelled T0 (main)")
if p.scripts: problems.append(f"{p.scripts} script element(s) in the DOM")
if p.handlers: problems.append(f"event handler attributes {p.handlers}")
if 'REQUIRE( name == "<script>document.title=1</script>" ) failed' not in p.failure_text:
    problems.append("the failing assertion's text is not shown as text: " + p.failure_text[:200])
# A script that ran would have set the title to "owned"; the page shows the markup as text.
if p.title != 'timeline: 20-thread-pool: pool <script>document.title="owned"</script> & <img src=x onerror=alert(1)>':
    problems.append(f"page title {p.title!r}")
if p.failure_marks != 1: problems.append(f"{p.failure_marks} failure marks")
if mode == "pool" and "REQUIRE( ran == accepted )" not in p.failure_text:
    problems.append("the failing REQUIRE of 20-thread-pool's test is not shown")
if mode == "pool" and len(threads) < 3: problems.append(f"only {threads}: the pool's test runs main, a worker and an enqueuer")
if mode == "deadlock":
    if "wait-for cycle" not in p.failure_text: problems.append("no wait-for cycle in the failure text")
    if sorted(p.cycle_lanes) != ["T1", "T2"]: problems.append(f"lanes marked in the cycle: {p.cycle_lanes}")
for pr in problems: print("  " + pr)
sys.exit(1 if problems else 0)
PY
done
if [ "$failures" = 0 ]; then echo "all timeline page checks passed"; else
  echo "$failures timeline page check(s) failed"; for f in "$work"/*.browser.log; do tail -n 5 "$f"; done; exit 1; fi
