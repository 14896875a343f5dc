#!/usr/bin/env bash
# Tests of .ci/grade-pr, the trusted grading of a pull request: in a copy of
# the course, a pull request solves 16-deadlock, submits a pool that swallows exceptions
# for 20-thread-pool, and tampers with the judge: 20's tests replaced by one
# that passes anything, its points raised, the grader and a workflow edited.
# The base's judge must grade it anyway, and the report must name every file
# it ignored.
set -euo pipefail
src="$(cd "$1" && pwd)"
if [ ! -d "$src/solutions" ]; then
  echo "pipeline: not run in a learner's copy (./kata export leaves out the solutions it submits)"
  exit 0
fi
tmp="$(mktemp -d /tmp/kata-pipeline-test.XXXXXX)"
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
failures=0
check() {  # check "what" command...
  local what="$1"; shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; failures=$((failures + 1)); fi
}

repo="$tmp/course"
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
# A learner's file that does not compile, and one that does not link.
printf 'void broken() { this is not C++ }\n' >>exercises/17-lock-order/lock_order.cpp
printf 'void never_defined();\nvoid calls_it() { never_defined(); }\n' >>exercises/18-livelock/livelock.cpp
cat >tests/20-thread-pool/thread_pool_test.cpp <<'CPP'
#include <catch2/catch.hpp>
TEST_CASE("everything passes", "[20-thread-pool]") { REQUIRE(true); }
CPP
sed -i 's/"points": 10,/"points": 1000,/' exercises/20-thread-pool/kata.json
echo "// tampered" >>grader/src/main.cpp
echo "# tampered" >>.github/workflows/selfcheck.yml
git add -A
git -c user.name=test -c user.email=test@localhost commit -qm "a pull request"

status=0
.ci/grade-pr main pr --out "$tmp/out" >"$tmp/log" 2>&1 || status=$?
check "grade-pr exits 1: an exercise fails" test "$status" -eq 1 || tail -30 "$tmp/log"

results() { /usr/bin/python3 -c "import json,sys; r=json.load(open('$tmp/out/results.json')); $1" ; }
check "16-deadlock, solved, passes" results "sys.exit(0 if [e['status'] for e in r['exercises'] if e['slug']=='16-deadlock']==['pass'] else 1)"
check "20-thread-pool is judged by the base's tests (more than the one forged test), and fails" \
  results "e=[e for e in r['exercises'] if e['slug']=='20-thread-pool'][0]; sys.exit(0 if e['status']=='fail' and len(e['tests'])>1 and 'everything passes' not in [t['name'] for t in e['tests']] else 1)"
check "points come from the base's metadata" results "sys.exit(0 if r['max_score']==40 and r['score']==10 else 1)"
check "only the exercises with learner files are graded" results "sys.exit(0 if sorted(e['slug'] for e in r['exercises'])==['16-deadlock','17-lock-order','18-livelock','20-thread-pool'] else 1)"
check "a compile error is a build error at the learner's line" \
  results "e=[e for e in r['exercises'] if e['slug']=='17-lock-order'][0]; sys.exit(0 if e['status']=='build error' and 'lock_order.cpp:' in e['message'] else 1)"
check "a link error is a build error naming the missing symbol" \
  results "e=[e for e in r['exercises'] if e['slug']=='18-livelock'][0]; sys.exit(0 if e['status']=='build error' and 'never_defined' in e['message'] else 1)"
for f in tests/20-thread-pool/thread_pool_test.cpp exercises/20-thread-pool/kata.json grader/src/main.cpp .github/workflows/selfcheck.yml; do
  check "the report names the ignored $f" grep -qF -- "- \`$f\`" "$tmp/out/report.md"
done
check "the learner's files are not reported as ignored" bash -c "! grep -qF 'exercises/16-deadlock/deadlock.cpp' '$tmp/out/report.md'"
check "JUnit and the Markdown report are written" test -s "$tmp/out/junit.xml" -a -s "$tmp/out/report.md"
check "the base's work tree is removed afterwards" bash -c "[ \$(git -C '$repo' worktree list | wc -l) -eq 1 ]"
echo "pipeline: $((14 - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
