# The explore shim and its demo program, for the tests that run the demo under
# the scheduler (run_test.sh here, grader/tests/timeline_browser_test.sh).
# Sourced with $work a temporary folder and $lib the shim, or empty to build
# it into $work; builds the demo into $work/demo.
explore_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "$lib" ]; then
  lib="$work/libkata_explore.so"
  g++ -std=c++20 -O1 -g -fPIC -shared -o "$lib" "$explore_dir/explore.cpp" -ldl
fi
clang++ -std=c++20 -O0 -g -pthread -o "$work/demo" "$explore_dir/test/explore_demo.cpp"
