#include "run/test_runner.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/result_channel.hpp"
#include "select/test_names.hpp"

namespace grader {
namespace fs = std::filesystem;

bool list_test_names(ProcessRunner& runner, const fs::path& binary, const std::string& spec,
                     std::vector<std::string>& names, std::string& why, const std::optional<RunAs>& run_as,
                     std::map<std::string, std::string>* tags) {
  // The listing runs the learner's static initializers: it comes over the
  // result channel, so nothing they print can pass for a test name.
  ProcessSpec ps;
  ps.argv = {binary.string(), "--list-test-names-only"};
  if (!spec.empty()) ps.argv.push_back(spec);
  ps.timeout = std::chrono::seconds(30);
  ps.secret = new_secret();
  ps.env.emplace_back("KATA_CHANNEL", "1");
  ps.run_as = run_as;
  ps.test_limits = true;
  auto r = runner.run(ps);
  // Catch2 2.13 exits with the number of tests listed, not 0.
  if (!r.started || r.timed_out || r.signal != 0) {
    why = !r.started ? r.start_error
                     : r.timed_out ? "listing the tests timed out (a static initializer hangs?)"
                                   : "listing the tests crashed with " + describe_signal(r.signal);
    return false;
  }
  auto messages = read_channel(r.channel, ps.secret);
  if (!messages.problem.empty() || !messages.frames.count("list")) {
    why = !messages.problem.empty() ? messages.problem
                                    : "the test binary did not send its list of tests (it exited with code " +
                                          std::to_string(r.exit_code) + " before main ended)";
    return false;
  }
  std::istringstream in(messages.frames.at("list"));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  if (tags) {
    if (!messages.frames.count("tags")) {
      why = "the test binary did not send the tags of its tests (built with an older test main?)";
      return false;
    }
    std::istringstream tag_lines(messages.frames.at("tags"));
    while (std::getline(tag_lines, line)) {
      auto tab = line.find('\t');
      if (tab != std::string::npos) (*tags)[line.substr(tab + 1)] = line.substr(0, tab);
    }
  }
  return true;
}

namespace {

std::string fresh_ipc_prefix() {
  static std::atomic<unsigned> counter{0};
  return "kata_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_";
}

// Removes the entries named with the prefix from /dev/shm (shared memory;
// Boost's named semaphores appear as "sem.<name>") and /dev/mqueue (POSIX
// message queues) and returns their names.
std::string remove_ipc_leftovers(const std::string& prefix) {
  std::string leaked;
  for (const char* dir : {"/dev/shm", "/dev/mqueue"}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      auto name = entry.path().filename().string();
      if (name.rfind(prefix, 0) == 0 || name.rfind("sem." + prefix, 0) == 0) {
        leaked += (leaked.empty() ? "" : ", ") + std::string(dir) + "/" + name;
        fs::remove(entry.path(), ec);
      }
    }
  }
  return leaked;
}

// Where a test runs as another user: a fresh folder that root makes in /tmp
// (mkdtemp cannot be sent elsewhere by a link that earlier learner code
// planted in the build tree) and hands to that user.
fs::path private_work_dir(const RunAs& user) {
  std::string name = (fs::temp_directory_path() / "kata-run-XXXXXX").string();
  if (!::mkdtemp(name.data())) return {};
  if (::chown(name.c_str(), user.first, user.second) != 0) {
    std::error_code ec;
    fs::remove(name, ec);
    return {};
  }
  return name;
}

// The last `keep_events` events of a trace file the test process wrote, and
// every "#" line among them. The file is the learner's process's to shape:
// only a regular file is read (never through a link), and only its last 256 KiB.
std::string trace_tail(const fs::path& path, std::size_t keep_events) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return {};
  struct stat st {};
  std::string text;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    constexpr off_t kWindow = 256 * 1024;
    off_t from = st.st_size > kWindow ? st.st_size - kWindow : 0;
    text.resize(static_cast<std::size_t>(st.st_size - from));
    auto n = ::pread(fd, text.data(), text.size(), from);
    text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    if (from > 0) text.erase(0, text.find('\n') == std::string::npos ? text.size() : text.find('\n') + 1);
  }
  ::close(fd);
  std::vector<std::string_view> lines;
  std::string_view rest = text;
  while (!rest.empty()) {
    auto end = rest.find('\n');
    lines.push_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
  std::size_t events = 0, first = lines.size();
  while (first > 0 && (events < keep_events || lines[first - 1].rfind("#", 0) == 0)) {
    --first;
    if (lines[first].rfind("#", 0) != 0) ++events;
  }
  std::string out;
  for (auto i = first; i < lines.size(); ++i) out.append(lines[i]).append("\n");
  return out;
}

CaseEvidence run_one(ProcessRunner& runner, const TestJob& job) {
  CaseEvidence evidence;
  evidence.test_name = job.test_name;
  evidence.timeout_s = job.timeout_s;
  fs::path work_dir = job.work_dir;
  if (job.run_as) {
    work_dir = private_work_dir(*job.run_as);
    if (work_dir.empty()) {
      evidence.not_started = "could not make a folder for the test to run in";
      return evidence;
    }
  } else {
    fs::create_directories(work_dir);
  }
  auto prefix = fresh_ipc_prefix();

  ProcessSpec spec;
  spec.argv = {job.binary.string(), escape_test_spec(job.test_name), "-r", "kata", "-w", "NoTests"};
  spec.env = job.env;
  spec.env.emplace_back("KATA_IPC_PREFIX", prefix);
  spec.env.emplace_back("KATA_CHANNEL", "1");
  // What a program writes under ~ stays in the test's own folder (deleted
  // with it when the test runs as another user), not in a real home.
  spec.env.emplace_back("HOME", work_dir.string());
  // A hang the test detects may ask for stacks. Not under explore: the test
  // would poll for gdb in virtual time while the schedule goes on, by as many
  // steps as gdb takes in real time; the scheduler prints each blocked
  // thread's frames itself. A timeout still gets gdb's stacks.
  if (job.collect_stacks && !job.record_trace) spec.env.emplace_back("KATA_STACKS", "1");
  auto trace_file = work_dir / (prefix + "trace.txt");
  if (job.record_trace) spec.env.emplace_back("KATA_EXPLORE_TRACE", trace_file.string());
  spec.secret = new_secret();
  spec.run_as = job.run_as;
  spec.cwd = work_dir;
  spec.timeout = std::chrono::milliseconds(static_cast<long>(job.timeout_s * 1000));
  spec.collect_stacks_on_timeout = job.collect_stacks;
  spec.no_aslr = job.no_aslr;
  spec.test_limits = true;
  spec.memory_limit = job.memory_limit;

  evidence.process = runner.run(spec);
  auto messages = read_channel(evidence.process.channel, spec.secret);
  evidence.channel_problem = messages.problem;
  if (evidence.process.channel_cut) evidence.channel_problem = "the test process wrote more to the result channel than a report can be";
  if (auto cut = messages.frames.find("report-cut"); cut != messages.frames.end()) {
    evidence.report_cut = true;
    evidence.report_xml = cut->second;
  }
  if (auto report = messages.frames.find("report"); report != messages.frames.end()) {
    evidence.report_exists = true;
    evidence.report_xml = report->second;
  }
  evidence.leaked_ipc = remove_ipc_leftovers(prefix);
  if (job.record_trace) {
    evidence.trace = trace_tail(trace_file, kTimelineEvents);
    std::error_code ec;
    fs::remove(trace_file, ec);
  }
  if (job.run_as) {
    std::error_code ec;
    fs::remove_all(work_dir, ec);  // removes links the test made, never what they point to
  }
  return evidence;
}

// Runs the job once per schedule seed until a run fails or the budget is
// spent; keeps the failing run, or the last.
CaseEvidence run_schedules(ProcessRunner& runner, const TestJob& job,
                           const std::function<bool(const CaseEvidence&)>& passes) {
  if (job.schedules.empty()) return run_one(runner, job);
  const auto start = std::chrono::steady_clock::now();
  const int runs = static_cast<int>(job.schedules.size());
  CaseEvidence evidence;
  double seconds = 0, cpu_seconds = 0;  // of every run: the time the test case took
  for (int k = 0; k < runs; ++k) {
    TestJob attempt = job;
    for (const auto& [name, value] : job.schedules[static_cast<std::size_t>(k)]) {
      auto same = [&](const auto& entry) { return entry.first == name; };
      attempt.env.erase(std::remove_if(attempt.env.begin(), attempt.env.end(), same), attempt.env.end());
      attempt.env.emplace_back(name, value);
      if (name == "KATA_SEED") evidence.seed = value;
    }
    auto seed = evidence.seed;
    evidence = run_one(runner, attempt);
    evidence.run = k + 1;
    evidence.runs = runs;
    evidence.seed = seed;
    seconds += evidence.process.seconds;
    cpu_seconds += evidence.process.cpu_seconds;
    evidence.process.seconds = seconds;
    evidence.process.cpu_seconds = cpu_seconds;
    if (!passes(evidence)) break;
    auto spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (job.schedule_budget_s > 0 && spent >= job.schedule_budget_s) break;
  }
  return evidence;
}

}  // namespace

std::vector<CaseEvidence> run_jobs(ProcessRunner& runner, const std::vector<TestJob>& jobs, int slots,
                                   const std::function<bool(const CaseEvidence&)>& passes,
                                   const std::function<void(const TestJob&, const CaseEvidence&)>& on_done) {
  std::vector<CaseEvidence> results(jobs.size());
  std::mutex done_mutex;
  std::size_t groups = 0;
  for (const auto& j : jobs) groups = std::max(groups, j.group + 1);
  std::vector<std::atomic<bool>> group_failed(groups);
  // Runs job i (or skips it, its group having failed); whether it ran and failed.
  auto finish = [&](std::size_t i) {
    const auto& job = jobs[i];
    if (job.stop_group_on_failure && group_failed[job.group]) {
      results[i].test_name = job.test_name;
      results[i].skipped = true;
    } else {
      results[i] = run_schedules(runner, job, passes);
    }
    std::lock_guard guard(done_mutex);
    const bool failed = !results[i].skipped && !passes(results[i]);
    if (failed) group_failed[job.group] = true;
    if (on_done) on_done(jobs[i], results[i]);
    return failed;
  };
  // A failure that slept through most of its time: a deadlock, or a test
  // waiting out its own bound. Run again (another seed), it takes a slot of
  // its own beside the others, not one of a core's.
  auto slept = [](const CaseEvidence& e) { return e.process.seconds >= 1 && e.process.cpu_seconds < 0.1 * e.process.seconds; };
  const int sleeper_slots = std::max(1, slots);

  std::vector<std::size_t> parallel, alone;
  for (std::size_t i = 0; i < jobs.size(); ++i) (jobs[i].alone ? alone : parallel).push_back(i);

  // A group that one failure settles (a mutant) runs one test at a time, so
  // its first failure skips every test after it; the other slots meanwhile
  // take other groups' tests. Jobs run in the order given otherwise, but for
  // families: a group starts with the tests that failed in another group of
  // its family, and while one of them runs with nothing learned yet, the
  // others wait if other jobs can fill the slot. A mutant's second and third
  // seeds then mostly run one test each, not every test up to the one that fails;
  // a test that failed asleep runs there in a slot of its own (`slept`).
  std::mutex pick_mutex;
  std::condition_variable group_freed;
  std::vector<bool> taken(parallel.size(), false);
  std::vector<int> running_in(groups, 0), untaken_in(groups, 0);
  std::vector<bool> started(groups, false);
  std::vector<std::vector<std::size_t>> positions_of(groups);  // each group's jobs, as positions in `parallel`
  std::map<std::string, std::set<std::size_t>> family_groups;
  std::map<std::string, std::map<std::string, bool>> failed_in;  // family -> each test that failed in it: asleep?
  auto serial = [&](std::size_t k) { return jobs[parallel[k]].stop_group_on_failure; };
  for (std::size_t k = 0; k < parallel.size(); ++k) {
    const auto& job = jobs[parallel[k]];
    ++untaken_in[job.group];
    positions_of[job.group].push_back(k);
    if (serial(k) && !job.family.empty()) family_groups[job.family].insert(job.group);
  }
  std::size_t first_open = 0;  // every job before it is taken
  auto take = [&](std::size_t k) {
    const auto group = jobs[parallel[k]].group;
    taken[k] = true;
    ++running_in[group];
    --untaken_in[group];
    started[group] = true;
    return k;
  };
  // The group's first job not taken yet that failed elsewhere in its family.
  auto learned = [&](std::size_t k) -> std::optional<std::size_t> {
    const auto& job = jobs[parallel[k]];
    auto failed = failed_in.find(job.family);
    if (failed == failed_in.end()) return std::nullopt;
    for (auto other : positions_of[job.group])
      if (!taken[other] && failed->second.count(jobs[parallel[other]].test_name)) return other;
    return std::nullopt;
  };
  auto asleep = [&](std::size_t k) { return failed_in[jobs[parallel[k]].family][jobs[parallel[k]].test_name]; };
  // Whether another group of the family has started and may still fail.
  auto would_wait = [&](std::size_t k) {
    const auto& job = jobs[parallel[k]];
    if (job.family.empty() || started[job.group] || failed_in.count(job.family)) return false;
    for (auto group : family_groups[job.family])
      if (group != job.group && started[group] && (untaken_in[group] > 0 || running_in[group] > 0)) return true;
    return false;
  };
  // A core's slot takes any job but those a sleeper's slot is for; a
  // sleeper's slot takes only a test that failed asleep in the family.
  auto pick = [&](bool for_sleepers) -> std::optional<std::size_t> {
    std::unique_lock lock(pick_mutex);
    for (;;) {
      while (first_open < parallel.size() && taken[first_open]) ++first_open;
      if (first_open == parallel.size()) return std::nullopt;
      std::optional<std::size_t> waiting;  // the first job that would rather wait
      for (std::size_t k = first_open; k < parallel.size(); ++k) {
        if (taken[k] || (for_sleepers && !serial(k))) continue;
        if (serial(k)) {
          if (running_in[jobs[parallel[k]].group] > 0) continue;
          if (auto first = learned(k)) {
            if (asleep(*first) != for_sleepers) continue;
            return take(*first);
          }
          if (for_sleepers) continue;
          if (would_wait(k)) {
            if (!waiting) waiting = k;
            continue;
          }
        }
        return take(k);
      }
      if (waiting && !for_sleepers) return take(*waiting);  // nothing else to run: a slot left idle helps nobody
      group_freed.wait(lock);  // every open job waits for its group's running test
    }
  };
  {
    std::vector<std::jthread> workers;
    auto work = [&](bool for_sleepers) {
      while (auto k = pick(for_sleepers)) {
        const auto i = parallel[*k];
        const bool failed = finish(i);
        {
          std::lock_guard lock(pick_mutex);
          --running_in[jobs[i].group];
          if (failed && !jobs[i].family.empty()) failed_in[jobs[i].family].emplace(jobs[i].test_name, slept(results[i]));
        }
        group_freed.notify_all();
      }
    };
    for (int w = 0; w < std::max(1, slots); ++w) workers.emplace_back(work, false);
    for (int w = 0; w < sleeper_slots; ++w) workers.emplace_back(work, true);
  }
  for (auto i : alone) finish(i);
  return results;
}

}  // namespace grader
