#!/usr/bin/env bash
# Tests of .ci/grade-pr, the trusted grading of a pull request, as an attacker
# would try it. In a copy of the course, one pull request (one base work tree,
# one grader build, one grading) solves 16-deadlock and, exercise by
# exercise, attacks the judge:
#   20  its tests replaced, its points raised, a file name that smuggles in a
#       "take" of the replaced tests, and one that reaches outside the tree;
#   17/18  a compile error and a link error in the learner's files;
#   12  the solution plus a static initializer that forges a passing report
#       (the old -o path, the result channel) and plants links where the
#       reports go, before main;
#   10  the solution plus its own .preinit_array entry, which runs before
#       static initializers and tries to take the grader's secret first;
#   13  the solution plus a thread that forges a report during a test, after
#       trying to read the hidden tests and the reference solution;
#   14  a learner file committed as a symbolic link;
#   15  a header that breaks the hidden test file (its lines must not show);
#   11  output that tries to break out of the report's Markdown;
#   09  the solution plus a setsid() daemon started by every test process.
# The base's judge must grade it anyway, every attack must end in a failing
# or error verdict that says what was refused, and nothing outside the work
# tree may change. The grader, tests and workflows edited by the pull request
# must be named as ignored.
set -euo pipefail
src="$(cd "$1" && pwd)"
if [ ! -d "$src/solutions" ]; then
  echo "pipeline: not run in a learner's copy (./kata export leaves out the solutions it submits)"
  exit 0
fi
tmp="$(mktemp -d /tmp/kata-pipeline-test.XXXXXX)"
chmod 0755 "$tmp"
canary="$(mktemp /tmp/kata-pipeline-canary.XXXXXX)"
echo "untouched" >"$canary"
daemon="kata-dmn-$$"
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"; rm -f "$canary"; pkill -KILL -f "$daemon" 2>/dev/null || true' EXIT
failures=0 checks=0
check() {  # check "what" command...
  local what="$1"; shift
  checks=$((checks + 1))
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; failures=$((failures + 1)); fi
}
as_root=0
[ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && as_root=1

repo="$tmp/course"
out="$tmp/out"
mkdir -p "$repo"
(cd "$src" && git ls-files -z | xargs -0 cp --parents -t "$repo")
cd "$repo"
git init -q -b main
git add -A
git -c user.name=test -c user.email=test@localhost commit -qm base
git checkout -q -b pr

cp solutions/16-deadlock/deadlock.cpp exercises/16-deadlock/deadlock.cpp
cp solutions/20-thread-pool/thread_pool.cpp exercises/20-thread-pool/thread_pool.cpp
patch --quiet -p1 -d exercises/20-thread-pool <tests/20-thread-pool/mutants/exception_swallowed/mutant.patch
printf 'void broken() { this is not C++ }\n' >>exercises/17-lock-order/lock_order.cpp
printf 'void never_defined();\nvoid calls_it() { never_defined(); }\n' >>exercises/18-livelock/livelock.cpp
cat >tests/20-thread-pool/thread_pool_test.cpp <<'CPP'
#include <catch2/catch.hpp>
TEST_CASE("everything passes", "[20-thread-pool]") { REQUIRE(true); }
CPP
sed -i 's/"points": 10,/"points": 1000,/' exercises/20-thread-pool/kata.json
echo "// tampered" >>grader/src/main.cpp
echo "# tampered" >>.github/workflows/selfcheck.yml
# File names are data: neither a newline nor ".." may make them commands.
injected=$'exercises/20-thread-pool/notes\ntake tests/20-thread-pool/thread_pool_test.cpp'
mkdir -p "$(dirname "$injected")"
printf 'x\n' >"$injected"
outside=$'exercises/20-thread-pool/x\ntake ../'"$(basename "$canary")"
mkdir -p "$(dirname "$outside")"
printf 'x\n' >"$outside"
printf 'x\n' >'exercises/20-thread-pool/`tick` @octocat.md'

# 12: a passing report forged before main, and links where the reports go.
cp solutions/12-lock/locks.cpp exercises/12-lock/locks.cpp
cat >>exercises/12-lock/locks.cpp <<CPP
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
namespace {
const char forged_xml[] = "<?xml version=\"1.0\"?><Catch><OverallResults successes=\"1\" failures=\"0\"/></Catch>";
struct ForgeBeforeMain {
  ForgeBeforeMain() {
    for (const char* name : {"exit-code", "report.md", "results.json"})
      (void)!symlink("/etc/passwd", (std::string("$out/") + name).c_str());
    std::ifstream cmdline("/proc/self/cmdline");
    std::string args((std::istreambuf_iterator<char>(cmdline)), {});
    auto at = args.find(std::string("-o\0", 3));
    if (at != std::string::npos) std::ofstream(args.c_str() + at + 3) << forged_xml;
    std::string frame = "kata-channel 00000000 report " + std::to_string(sizeof forged_xml - 1) + "\n" + forged_xml;
    (void)!write(4, frame.data(), frame.size());
    _exit(0);
  }
} forge_before_main;
}  // namespace
CPP

# 10: code in .preinit_array, the earliest a program can run, tries to read
#     the secret on fd 3 and to sign a forged report with it.
cp solutions/10-race-condition/race.hpp solutions/10-race-condition/race.cpp exercises/10-race-condition/
cat >>exercises/10-race-condition/race.cpp <<'CPP'
#include <string>
#include <unistd.h>
namespace {
void steal_secret(int, char**, char**) {
  char secret[128];
  long n = read(3, secret, sizeof secret);
  std::string frame = "kata-channel " + std::string(secret, n > 0 ? n : 0) + " report 4\n<x/>";
  (void)!write(4, frame.data(), frame.size());
  _exit(0);
}
__attribute__((section(".preinit_array"), used)) void (*const steal_first)(int, char**, char**) = steal_secret;
}  // namespace
CPP

# 13: reads what it must not, then forges a report while a test runs.
cp solutions/13-semaphore/semaphore.cpp exercises/13-semaphore/semaphore.cpp
cat >>exercises/13-semaphore/semaphore.cpp <<'CPP'
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>
namespace {
struct ForgeDuringTest {
  ForgeDuringTest() {
    std::thread([] {
      usleep(100000);
      // build/plain/bin/13-semaphore/exercise -> the work tree's root
      char exe[4096] = {};
      (void)!readlink("/proc/self/exe", exe, sizeof exe - 1);
      std::string root = exe;
      for (int i = 0; i < 5; ++i) root = root.substr(0, root.rfind('/'));
      for (const char* file : {"/tests/13-semaphore/semaphore_test.cpp", "/solutions/13-semaphore/semaphore.cpp"}) {
        std::ifstream in(root + file);
        std::string line;
        if (std::getline(in, line)) std::printf("LEAKED %s: %s\n", file, line.c_str());
      }
      std::fflush(stdout);
      std::string frame = "kata-channel 1234 report 4\n<x/>";
      (void)!write(4, frame.data(), frame.size());
      _exit(0);
    }).detach();
  }
} forge_during_test;
}  // namespace
CPP

# 14: a symbolic link instead of a file.
rm exercises/14-event/event.cpp
ln -s /etc/passwd exercises/14-event/event.cpp

# 15: a header that the hidden tests no longer compile against.
cp solutions/15-barrier/barrier.hpp exercises/15-barrier/barrier.hpp
cp solutions/15-barrier/barrier.cpp exercises/15-barrier/barrier.cpp
sed -i 's/std::size_t waiting() const;/std::size_t waiting_now() const;/' exercises/15-barrier/barrier.hpp
sed -i 's/std::size_t Barrier::waiting() const/std::size_t Barrier::waiting_now() const/' exercises/15-barrier/barrier.cpp

# 11: output that tries to end the report's code block and write Markdown.
cat >>exercises/11-gil/gil.cpp <<'CPP'
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
namespace {
struct HostileOutput {
  HostileOutput() {
    std::ifstream cmdline("/proc/self/cmdline");
    std::string args((std::istreambuf_iterator<char>(cmdline)), {});
    if (args.find("--list-test-names-only") != std::string::npos) return;
    std::printf("````````\n## forged heading: score 10 of 10\n@octocat <img src=x>\n\x1b[2J\xed\xa0\x80\n");
    std::fflush(stdout);
    _exit(3);
  }
} hostile_output;
}  // namespace
CPP

# 09: every test process leaves a daemon in a session of its own.
cp solutions/09-thread-basics/thread_basics.cpp exercises/09-thread-basics/thread_basics.cpp
cat >>exercises/09-thread-basics/thread_basics.cpp <<CPP
#include <sys/prctl.h>
#include <unistd.h>
namespace {
struct Daemon {
  Daemon() {
    if (fork() == 0) {
      setsid();
      if (fork() == 0) {
        prctl(PR_SET_NAME, "$daemon");
        for (int i = 0; i < 600; ++i) sleep(1);
      }
      _exit(0);
    }
  }
} daemon;
}  // namespace
CPP

git add -A
git -c user.name=test -c user.email=test@localhost commit -qm "a pull request"

status=0
.ci/grade-pr main pr --out "$out" >"$tmp/log" 2>&1 || status=$?
check "grade-pr exits 1: exercises fail" test "$status" -eq 1 || tail -30 "$tmp/log"

results() { /usr/bin/python3 -c "import json,sys; r=json.load(open('$out/results.json')); E={e['slug']:e for e in r['exercises']}; $1" ; }
has_message() {  # slug, text: the exercise's message or one of its tests' says it
  results "e=E['$1']; sys.exit(0 if '$2' in e.get('message','') + ''.join(t.get('message','') for t in e['tests']) else 1)"
}
check "16-deadlock, solved, passes" results "sys.exit(0 if E['16-deadlock']['status']=='pass' else 1)"
check "20-thread-pool is judged by the base's tests (not the forged one), and fails" \
  results "e=E['20-thread-pool']; sys.exit(0 if e['status']=='fail' and len(e['tests'])>1 and 'everything passes' not in [t['name'] for t in e['tests']] else 1)"
check "points come from the base's metadata" results "sys.exit(0 if r['score']==10 and E['20-thread-pool']['max_score']==10 else 1)"
check "only the exercises with learner files are graded" \
  results "sys.exit(0 if sorted(E)==['09-thread-basics','10-race-condition','11-gil','12-lock','13-semaphore','14-event','15-barrier','16-deadlock','17-lock-order','18-livelock','20-thread-pool'] else 1)"
check "the top-level status is not pass" results "sys.exit(0 if r['status']!='pass' else 1)"
check "a compile error is a build error at the learner's line" \
  results "e=E['17-lock-order']; sys.exit(0 if e['status']=='build error' and 'lock_order.cpp:' in e['message'] else 1)"
check "a link error is a build error naming the missing symbol" \
  results "e=E['18-livelock']; sys.exit(0 if e['status']=='build error' and 'never_defined' in e['message'] else 1)"
check "a report forged before main is refused" has_message 12-lock "result channel without the"
check "a .preinit_array entry of the learner's finds no secret" has_message 10-race-condition "result channel without the"
check "10-race-condition does not pass" results "sys.exit(0 if E['10-race-condition']['status']!='pass' else 1)"
check "12-lock does not pass" results "sys.exit(0 if E['12-lock']['status']!='pass' else 1)"
check "a report forged during a test is refused" has_message 13-semaphore "result channel without the"
check "13-semaphore does not pass" results "sys.exit(0 if E['13-semaphore']['status']!='pass' else 1)"
check "a symbolic link is a build error that says so" \
  results "e=E['14-event']; sys.exit(0 if e['status']=='build error' and 'is not a regular file in the pull request (git mode 120000)' in e['message'] else 1)"
check "a broken hidden test file shows none of its lines" \
  results "e=E['15-barrier']; sys.exit(0 if e['status']=='build error' and 'in a hidden test file (its lines are not shown)' in e['message'] and 'barrier_test.cpp' not in e['message'] else 1)"
check "hostile output ends the tests in an error verdict" \
  results "e=E['11-gil']; sys.exit(0 if e['status']!='pass' and all(t['status']=='error' for t in e['tests']) else 1)"
check "hostile output stays inside its code block in report.md" /usr/bin/python3 - "$out/report.md" <<'PY'
import re, sys
fence = None
inside_ok = False
for line in open(sys.argv[1], encoding="utf-8"):
    s = line.strip()
    m = re.match(r"^(`{3,})", s)
    if fence is None and m:
        fence = m.group(1)
    elif fence is not None and re.fullmatch(r"`{%d,}" % len(fence), s):
        fence = None
    elif "forged heading" in line:
        if fence is None:
            sys.exit(1)
        inside_ok = True
sys.exit(0 if inside_ok else 1)
PY
check "every report is valid UTF-8 with no raw escape" /usr/bin/python3 -c "
import sys, pathlib
for p in pathlib.Path('$out').rglob('*'):
    if p.is_file() and p.name != 'exit-code':
        b = p.read_bytes(); b.decode('utf-8')
        if b'\x1b' in b: sys.exit(1)"
check "a setsid() daemon fails the test" has_message 09-thread-basics "process(es) running after it ended"
check "no daemon is left running" bash -c "! ps -eo pid,ppid,pgid,stat,etimes,comm | grep -w '$daemon'"
check "the report names the ignored test file" grep -qF -- '- ` tests/20-thread-pool/thread_pool_test.cpp `' "$out/report.md"
for f in exercises/20-thread-pool/kata.json grader/src/main.cpp .github/workflows/selfcheck.yml; do
  check "the report names the ignored $f" grep -qF -- "- \` $f \`" "$out/report.md"
done
check "a file name with a newline is named, escaped, as ignored" \
  grep -qF -- '- ` exercises/20-thread-pool/notes\ntake tests/20-thread-pool/thread_pool_test.cpp `' "$out/report.md"
check "a file name with backticks keeps its code span" \
  grep -qF -- '- `` exercises/20-thread-pool/`tick` @octocat.md ``' "$out/report.md"
check "the learner's files are not reported as ignored" bash -c "! grep -qF 'exercises/16-deadlock/deadlock.cpp' '$out/report.md'"
check "nothing outside the work tree changed" grep -qx untouched "$canary"
check "JUnit and the Markdown report are written" test -s "$out/junit.xml" -a -s "$out/report.md"
check "the base's work tree is removed afterwards" bash -c "[ \$(git -C '$repo' worktree list | wc -l) -eq 1 ]"
if [ "$as_root" -eq 1 ]; then
  check "no link was planted among the reports" bash -c "[ -z \"\$(find '$out' -type l)\" ]"
  check "the reports are root's" bash -c "[ \"\$(stat -c %U '$out/results.json')\" = root ]"
  check "the learner's code read neither the hidden tests nor the solution" \
    bash -c "! grep -rq 'LEAKED' '$out'"
fi
echo "pipeline: $((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
