#include "process/process.hpp"

#include "process/containment.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace grader {
namespace {

using Clock = std::chrono::steady_clock;

std::mutex live_mutex;
std::set<pid_t> live_groups;  // process groups started and not yet killed
bool stopping = false;        // interrupted: nothing more starts (guarded by live_mutex)

// After an interrupt, a thread of the grader goes no further: the handler
// removes what is left and exits with the interrupt's code, and nothing may
// start a new test or write a verdict meanwhile.
void wait_if_stopping() {
  {
    std::lock_guard guard(live_mutex);
    if (!stopping) return;
  }
  for (;;) pause();
}

// Keeps the first and the last cap/2 bytes of a stream, counting the rest.
class CappedOutput {
 public:
  explicit CappedOutput(std::size_t cap) : half_(cap / 2) {}
  void append(const char* data, std::size_t n) {
    while (n > 0 && head_.size() < half_) {
      head_ += *data++;
      --n;
    }
    if (n == 0) return;
    tail_.append(data, n);
    if (tail_.size() > 2 * half_ + 4096) {  // trim in chunks, not per byte
      auto drop = tail_.size() - half_;
      cut_ += drop;
      tail_.erase(0, drop);
    }
  }
  std::string take(std::size_t& cut) {
    if (tail_.size() > half_) {
      cut_ += tail_.size() - half_;
      tail_.erase(0, tail_.size() - half_);
    }
    cut = cut_;
    if (cut_ == 0) return head_ + tail_;
    return head_ + "\n[... " + std::to_string(cut_) + " bytes of output cut ...]\n" + tail_;
  }

 private:
  std::size_t half_;
  std::string head_, tail_;
  std::size_t cut_ = 0;
};

std::vector<std::string> merged_environment(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// gdb runs as the test's own user: it reads a binary the learner built, and
// nothing in it (auto-loaded scripts) may run with the grader's rights.
std::string gdb_stacks(pid_t pid, const std::optional<RunAs>& run_as) {
  static const std::string gdb = find_program("gdb");
  if (gdb.empty()) return "(no stacks: gdb is not installed)";
  PosixProcessRunner runner;
  ProcessSpec spec;
  spec.argv = {gdb, "-p", std::to_string(pid), "-batch", "-nx", "-iex", "set auto-load off",
               "-ex", "set print frame-arguments none", "-ex", "thread apply all bt"};
  spec.run_as = run_as;
  spec.timeout = std::chrono::seconds(12);  // attaching to a big binary on a busy machine takes seconds
  spec.output_cap = 128 * 1024;
  auto r = runner.run(spec);
  return r.timed_out ? "(no stacks: gdb did not attach in time)\n" + r.output : r.output;
}

}  // namespace

void kill_running_processes() {
  std::lock_guard guard(live_mutex);
  stopping = true;
  for (pid_t group : live_groups) kill(-group, SIGKILL);
}

std::string find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    auto end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    auto candidate = dirs.substr(start, end - start) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

std::string describe_signal(int signal) {
  static const std::map<int, std::string> names{
      {SIGSEGV, "SIGSEGV (segmentation fault)"}, {SIGABRT, "SIGABRT (abort)"},
      {SIGBUS, "SIGBUS (bus error)"},            {SIGFPE, "SIGFPE (arithmetic error)"},
      {SIGILL, "SIGILL (illegal instruction)"},  {SIGKILL, "SIGKILL (killed)"},
      {SIGTERM, "SIGTERM (terminated)"},         {SIGXCPU, "SIGXCPU (CPU time limit)"},
      {SIGXFSZ, "SIGXFSZ (file size limit)"},    {SIGPIPE, "SIGPIPE (broken pipe)"}};
  auto it = names.find(signal);
  return it != names.end() ? it->second : "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

ProcessResult PosixProcessRunner::run(const ProcessSpec& spec) {
  wait_if_stopping();
  ProcessResult result;
  const auto start = Clock::now();
  if (spec.argv.empty()) {
    result.start_error = "nothing to run";
    return result;
  }
  auto program = find_program(spec.argv[0]);
  if (program.empty()) {
    result.start_error = "'" + spec.argv[0] + "' is not installed (not found on PATH)";
    return result;
  }

  // Everything the child needs is prepared before fork: between fork and exec
  // only async-signal-safe calls are allowed (the grader is multi-threaded).
  become_subreaper();
  TaskLimit task_limit;
  if (spec.test_limits) task_limit = prepare_task_limit(spec.run_as.has_value());
  auto args = spec.argv;
  auto argv = c_strings(args);
  auto env = spec.env;
  if (spec.test_limits) env.emplace_back(task_limit.marker.substr(0, task_limit.marker.find('=')),
                                         task_limit.marker.substr(task_limit.marker.find('=') + 1));
  auto env_strings = merged_environment(env);
  auto envp = c_strings(env_strings);
  std::string cwd = spec.cwd.string();
  // A spinning test is ended by the timeout; the CPU limit is a second line
  // (two seconds of CPU per second of wall time, plus slack).
  const rlim_t cpu_seconds = static_cast<rlim_t>(std::max<long>(10, 2 * (spec.timeout.count() / 1000) + 10));
  const bool drop = spec.run_as.has_value();
  const uid_t uid = drop ? spec.run_as->first : 0;
  const gid_t gid = drop ? spec.run_as->second : 0;

  // The result channel: the secret waits in a pipe whose writing end is
  // closed before the program starts; the program answers on another pipe.
  int secret_fds[2] = {-1, -1}, channel_fds[2] = {-1, -1};
  const bool with_channel = !spec.secret.empty();
  if (with_channel) {
    if (pipe2(secret_fds, O_CLOEXEC) != 0 || pipe2(channel_fds, O_CLOEXEC) != 0 ||
        write(secret_fds[1], spec.secret.data(), spec.secret.size()) != static_cast<ssize_t>(spec.secret.size())) {
      result.start_error = std::string("result channel: ") + std::strerror(errno);
      for (int fd : {secret_fds[0], secret_fds[1], channel_fds[0], channel_fds[1]})
        if (fd >= 0) close(fd);
      end_task_limit(0, task_limit);
      return result;
    }
    close(secret_fds[1]);
    secret_fds[1] = -1;
  }
  auto close_channel = [&] {
    for (int* fd : {&secret_fds[0], &channel_fds[0], &channel_fds[1]})
      if (*fd >= 0) {
        close(*fd);
        *fd = -1;
      }
  };
  const rlim_t memory = spec.memory_limit;
  const rlim_t own_cpu_limit = static_cast<rlim_t>(spec.cpu_limit_s);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.start_error = std::string("pipe: ") + std::strerror(errno);
    close_channel();
    end_task_limit(0, task_limit);
    return result;
  }
  int exec_error[2];  // the child reports a failed exec through this pipe
  if (pipe2(exec_error, O_CLOEXEC) != 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    result.start_error = std::string("pipe: ") + std::strerror(errno);
    close_channel();
    end_task_limit(0, task_limit);
    return result;
  }

  pid_t pid = fork();
  if (pid < 0) {
    result.start_error = std::string("fork: ") + std::strerror(errno);
    for (int fd : {pipe_fds[0], pipe_fds[1], exec_error[0], exec_error[1]}) close(fd);
    close_channel();
    end_task_limit(0, task_limit);
    return result;
  }
  if (pid == 0) {
    setpgid(0, 0);
    sigset_t none;  // the grader blocks SIGINT/SIGTERM in its threads; programs get them back
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(pipe_fds[1], 1);
    dup2(pipe_fds[1], 2);
    if (with_channel) {
      // Out of the way first (either may already be 3 or 4), then into place;
      // dup2 clears close-on-exec on 3 and 4 only.
      int secret = fcntl(secret_fds[0], F_DUPFD_CLOEXEC, 10);
      int channel = fcntl(channel_fds[1], F_DUPFD_CLOEXEC, 10);
      if (secret < 0 || channel < 0 || dup2(secret, 3) != 3 || dup2(channel, 4) != 4) _exit(126);
    }
    signal(SIGPIPE, SIG_DFL);
    if (spec.no_aslr) personality(ADDR_NO_RANDOMIZE);
    if (spec.background) {
      sched_param idle{};
      sched_setscheduler(0, SCHED_IDLE, &idle);
    }
    if (spec.test_limits) {
      rlimit no_core{0, 0}, file_size{1ul << 30, 1ul << 30}, cpu{cpu_seconds, cpu_seconds + 5};
      setrlimit(RLIMIT_CORE, &no_core);
      setrlimit(RLIMIT_FSIZE, &file_size);
      setrlimit(RLIMIT_CPU, &cpu);
      enter_task_limit(task_limit);
    } else if (own_cpu_limit > 0) {
      rlimit cpu{own_cpu_limit, own_cpu_limit + 5};
      setrlimit(RLIMIT_CPU, &cpu);
    }
    if (memory > 0) {
      rlimit address_space{memory, memory};
      setrlimit(RLIMIT_AS, &address_space);
    }
    if (drop && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) {
      int e = errno;
      (void)!write(exec_error[1], &e, sizeof e);
      _exit(127);
    }
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
      int e = errno;
      (void)!write(exec_error[1], &e, sizeof e);
      _exit(127);
    }
    execve(program.c_str(), argv.data(), envp.data());
    int e = errno;
    (void)!write(exec_error[1], &e, sizeof e);
    _exit(127);
  }
  setpgid(pid, pid);  // also here: whichever runs first wins the race
  {
    // Known at once, not after exec: an interrupt that comes meanwhile must
    // still find the group to kill.
    std::lock_guard guard(live_mutex);
    live_groups.insert(pid);
    if (stopping) kill(-pid, SIGKILL);  // interrupted since the check above
  }
  close(pipe_fds[1]);
  close(exec_error[1]);
  if (with_channel) {
    close(secret_fds[0]);
    close(channel_fds[1]);
    secret_fds[0] = channel_fds[1] = -1;
  }
  int child_errno = 0;
  if (read(exec_error[0], &child_errno, sizeof child_errno) == sizeof child_errno) {
    close(exec_error[0]);
    close(pipe_fds[0]);
    close_channel();
    waitpid(pid, nullptr, 0);
    end_task_limit(pid, task_limit);
    {
      std::lock_guard guard(live_mutex);
      live_groups.erase(pid);
    }
    result.start_error = "cannot run " + program + ": " + std::strerror(child_errno);
    return result;
  }
  close(exec_error[0]);
  result.started = true;

  fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
  if (with_channel) fcntl(channel_fds[0], F_SETFL, O_NONBLOCK);
  CappedOutput output(spec.output_cap);
  char buffer[65536];
  auto drain = [&] {
    for (;;) {
      auto n = read(pipe_fds[0], buffer, sizeof buffer);
      if (n > 0) {
        output.append(buffer, static_cast<std::size_t>(n));
        if (spec.on_output) spec.on_output(buffer, static_cast<std::size_t>(n));
        continue;
      }
      return n == 0;  // true at end of file
    }
  };
  bool channel_eof = !with_channel;
  auto drain_channel = [&] {
    while (!channel_eof) {
      auto n = read(channel_fds[0], buffer, sizeof buffer);
      if (n <= 0) {
        channel_eof = n == 0;
        return;
      }
      auto keep = std::min<std::size_t>(static_cast<std::size_t>(n), spec.channel_cap - result.channel.size());
      result.channel.append(buffer, keep);
      if (keep < static_cast<std::size_t>(n)) result.channel_cut = true;
    }
  };

  const auto deadline = start + spec.timeout;
  const std::string stacks_request = "kata-channel " + spec.secret + " stacks 0\n";
  bool stacks_taken = false;
  int status = 0;
  rusage usage{};  // the program's CPU time, from wait4() when it ends
  bool exited = false, eof = false;
  // A pidfd turns readable the moment the process exits, so the verdict does
  // not wait for the next tick (a test ends in tens of milliseconds; a 50 ms
  // tick was most of a short test's time). Without one, a short tick.
  const int exit_fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  while (!exited) {
    pollfd pfds[3] = {{pipe_fds[0], POLLIN, 0}, {channel_eof ? -1 : channel_fds[0], POLLIN, 0}, {exit_fd, POLLIN, 0}};
    int wait_ms = exit_fd >= 0 ? 50 : 5;  // also a tick: a stacks request is looked for between reads
    if (spec.timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        result.timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(std::min<long>(wait_ms, left));
    }
    if (eof) pfds[0].fd = -1;
    if (poll(pfds, 3, wait_ms) > 0) {
      if (!eof) eof = drain();
      drain_channel();
      // A hang the test itself detected: its stacks now, while it waits.
      if (!stacks_taken && spec.collect_stacks_on_timeout && result.channel.find(stacks_request) != std::string::npos) {
        result.stacks = gdb_stacks(pid, spec.run_as);
        stacks_taken = true;
      }
    }
    pid_t w = wait4(pid, &status, WNOHANG, &usage);
    exited = (w == pid);
  }

  if (result.timed_out) {
    {
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string text((std::istreambuf_iterator<char>(stat)), {});
      auto close = text.rfind(')');
      result.stopped = close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'T';
    }
    if (spec.collect_stacks_on_timeout) result.stacks = gdb_stacks(pid, spec.run_as);
    kill(-pid, SIGKILL);
    wait4(pid, &status, 0, &usage);
    exited = true;
  }
  if (exit_fd >= 0) close(exit_fd);
  wait_if_stopping();  // it ended because the grader was interrupted: no verdict
  // Whatever the program started does not outlive it; what still ran is named.
  if (!result.timed_out) result.leftovers = running_leftovers(pid, task_limit);
  result.task_limit_hit = end_task_limit(pid, task_limit);
  {
    std::lock_guard guard(live_mutex);
    live_groups.erase(pid);
  }
  drain();
  close(pipe_fds[0]);
  if (with_channel) {
    drain_channel();
    close_channel();
  }

  if (!result.timed_out) {
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  }
  result.output = output.take(result.output_cut);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  auto seconds_of = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  result.cpu_seconds = seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
  return result;
}

}  // namespace grader
