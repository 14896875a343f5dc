// The one Catch2 main of every test executable, built once per profile. It is
// linked ahead of every other object (cmake/kata_exercise.cmake), so its
// .preinit_array entry runs before any code of the learner's: static
// initializers, constructors and even other .preinit_array entries.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <streambuf>
#include <string>

#include <chrono>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

// The grader's result channel (grader/src/run/result_channel.hpp): a secret
// to read once on fd 3, then frames written to fd 4. The secret is taken
// before any learner code runs; fd 3 is closed then, so no later code can
// read it, and nothing else names it (not argv, not the environment).
char secret[128];
long secret_size = -1;  // -1: not run by the grader (a developer's own run)

// Before the sanitizers are set up: raw system calls, no instrumentation.
__attribute__((no_sanitize("address", "thread", "undefined"))) void take_secret(int, char**, char** envp) {
  static const char wanted[] = "KATA_CHANNEL=1";
  bool asked = false;
  for (char** e = envp; e && *e && !asked; ++e) {
    std::size_t i = 0;
    while (wanted[i] && (*e)[i] == wanted[i]) ++i;
    asked = wanted[i] == '\0' && (*e)[i] == '\0';
  }
  if (!asked) return;
  long n = 0;
  while (n < static_cast<long>(sizeof secret)) {
    long got = syscall(SYS_read, 3, secret + n, sizeof secret - n);
    if (got <= 0) break;
    n += got;
  }
  syscall(SYS_close, 3);
  syscall(SYS_fcntl, 4, F_SETFD, FD_CLOEXEC);  // programs the tests exec do not get it
  secret_size = n;
}

__attribute__((section(".preinit_array"), used)) void (*const take_secret_first)(int, char**, char**) = take_secret;

// Keeps at most `cap` bytes; the rest is counted as cut.
class CappedBuffer : public std::streambuf {
 public:
  explicit CappedBuffer(std::size_t cap) : cap_(cap) {}
  const std::string& text() const { return text_; }
  bool cut() const { return cut_; }

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) {
      char ch = traits_type::to_char_type(c);
      xsputn(&ch, 1);
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    auto keep = std::min<std::size_t>(static_cast<std::size_t>(n), cap_ - text_.size());
    text_.append(s, keep);
    if (keep < static_cast<std::size_t>(n)) cut_ = true;
    return n;
  }

 private:
  std::size_t cap_;
  std::string text_;
  bool cut_ = false;
};

void send(const std::string& kind, const std::string& payload) {
  std::string frame = "kata-channel " + std::string(secret, static_cast<std::size_t>(secret_size)) + " " + kind +
                      " " + std::to_string(payload.size()) + "\n" + payload;
  for (std::size_t at = 0; at < frame.size();) {
    auto n = ::write(4, frame.data() + at, frame.size() - at);
    if (n <= 0) return;  // the grader then has no report: the verdict says so
    at += static_cast<std::size_t>(n);
  }
}

// Whether a debugger is attached to this process now.
bool traced() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("TracerPid:", 0) == 0) return line.find_first_not_of(" \t0", 10) != std::string::npos;
  return false;
}

// Threads of this process still running (a test abandons a hung thread so
// that a deadlock becomes a failure instead of a hang).
int running_threads() {
  int n = 0;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Threads:", 0) == 0) n = std::atoi(line.c_str() + 8);
  return n;
}

// Threads the runtime itself keeps.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr int kOwnThreads = 2;  // ThreadSanitizer's background thread
#else
constexpr int kOwnThreads = 1;
#endif
#else
constexpr int kOwnThreads = 1;
#endif

// Ends the process. With abandoned threads still running after a failure,
// static destructors would race with them (ThreadSanitizer then reports that
// race in the harness, not the learner's lock order): leave at once instead.
int finish(int failed) {
  // Only after a failure: a passing run exits normally (LeakSanitizer runs then).
  if (failed != 0 && running_threads() > kOwnThreads) {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    _exit(failed);
  }
  return failed;
}

// Catch2's XML reporter, but the test's own output stays on stdout and
// stderr, where the grader caps it, instead of growing the report.
class KataReporter : public Catch::XmlReporter {
 public:
  explicit KataReporter(Catch::ReporterConfig const& config) : XmlReporter(config) {
    m_reporterPrefs.shouldRedirectStdOut = false;
  }
  static std::string getDescription() { return "Catch2's XML, with the tests' output left on stdout and stderr"; }
};

std::atomic<bool> running{false};

// exit() from inside a test would run Catch2's static destructors under its
// own feet (it crashes); say what happened instead, and leave no report.
void exit_during_test() {
  if (!running) return;
  std::fputs("kata: exit() was called while a test was running; a test must return or throw\n", stderr);
  std::fflush(nullptr);
  _exit(70);
}

}  // namespace

CATCH_REGISTER_REPORTER("kata", KataReporter)

namespace kata {

// Declared in kata/test.hpp. While the grader's gdb is attached the process
// is stopped, so the wait below ends soon after the stacks are taken.
void request_stacks() {
  static std::atomic<bool> asked{false};
  if (secret_size < 0 || !std::getenv("KATA_STACKS") || asked.exchange(true)) return;
  send("stacks", "");
  using namespace std::chrono;
  const auto start = steady_clock::now();
  while (!traced() && steady_clock::now() - start < seconds(10)) std::this_thread::sleep_for(milliseconds(20));
  while (traced() && steady_clock::now() - start < seconds(15)) std::this_thread::sleep_for(milliseconds(20));
}

}  // namespace kata

#ifdef KATA_COVERAGE
// Linked with --wrap=_exit in the coverage profile: a forked child's lines
// count too (gcov writes its counters at exit(), which _exit skips).
extern "C" void __gcov_dump();
extern "C" [[noreturn]] void __real__exit(int status);
extern "C" [[noreturn]] void __wrap__exit(int status) {
  __gcov_dump();
  __real__exit(status);
}
#endif

int main(int argc, char* argv[]) {
  // On a timeout the grader attaches gdb to print every thread's stack.
  // Where kernel.yama.ptrace_scope is 1, only an allowed tracer may attach.
  prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
  std::atexit(exit_during_test);
  Catch::Session session;
  if (int status = session.applyCommandLine(argc, argv); status != 0) return status;
  if (secret_size < 0) {
    running = true;
    int failed = session.run();
    running = false;
    return finish(failed);
  }

  // Run by the grader: what Catch2 writes to "stdout" (the report, or the
  // list of tests) goes to memory and then, framed, to the channel.
  CappedBuffer report(std::size_t{16} << 20);
  auto* original = std::cout.rdbuf(&report);
  const bool listing = session.configData().listTestNamesOnly;
  if (!listing) {
    session.config();  // the reporter's stream takes the buffer now ...
    std::cout.rdbuf(original);  // ... and the tests' own output goes where it always went
  }
  running = true;
  int failed = session.run();
  running = false;
  std::cout.rdbuf(original);
  if (listing) {
    // The tags of every listed test, one line each ("[tag][tag]<tab>name"),
    // so one listing tells the grader which tests are [timing] or [hidden].
    std::string tags;
    auto& config = session.config();
    for (const auto& test : Catch::filterTests(Catch::getAllTestCasesSorted(config), config.testSpec(), config)) {
      for (const auto& tag : test.lcaseTags) tags += "[" + tag + "]";
      tags += "\t" + test.name + "\n";
    }
    send("tags", tags);
  }
  send(listing ? "list" : report.cut() ? "report-cut" : "report", report.text());
  return finish(failed);
}
