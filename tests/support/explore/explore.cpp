// The explore profile's deterministic scheduler, preloaded (LD_PRELOAD) into a
// plain test binary.
//
// One thread runs at a time. Every call of the pthread layer is a scheduling
// point (mutex lock/trylock/unlock, condition variable wait/signal/broadcast,
// thread create/join/exit, sleeps, sched_yield, and the futex calls libstdc++
// makes through syscall() for futures, latches, semaphores and atomic waits):
// there the scheduler records an event and picks the thread that runs next,
// from a seeded strategy (KATA_EXPLORE_STRATEGY=random, a random walk, or pct,
// Burckhardt et al.'s probabilistic concurrency testing with depth
// KATA_EXPLORE_DEPTH). The same seed (KATA_EXPLORE_SEED, else KATA_SEED) gives
// the same schedule, event for event, for a program that blocks only in these
// calls.
//
// Time is virtual: steady_clock, system_clock and the sleeps and timed waits
// read and advance one virtual clock, which jumps to the next deadline when
// every thread is blocked. A thread that runs longer than a short grace
// without reaching a scheduling point (a spin loop, a read(), a poll()) is set
// aside as "outside" and the others run; while one is outside, virtual time
// follows real time. When every thread is blocked on a modeled object and no
// timed wait can fire, the wait-for cycle is printed and the process aborts.
// On a failing exit the last scheduling points are printed as a timeline, one
// column per thread; KATA_EXPLORE_TRACE=path writes every event to a file
// ("step virtual-ns T<thread> operation [object]", then "# why" on a failure),
// flushed at every tick of the watcher so a killed process leaves its events.
//
// Not modeled (they pass through): a forked child, threads this library did
// not start, and KATA_EXPLORE=0.
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <unordered_map>

#include "../real_function.hpp"
#include <vector>

namespace {

// ------------------------------------------------------------ real functions

using namespace kata_shim;

using SyscallFn = long (*)(long, ...);
using ClockGetFn = int (*)(clockid_t, timespec*);
using JoinFn = int (*)(pthread_t, void**);
using NanosleepFn = int (*)(const timespec*, timespec*);
using ClockNanosleepFn = int (*)(clockid_t, int, const timespec*, timespec*);
using YieldFn = int (*)();
using ExitFn = void (*)(int);
using RwFn = int (*)(pthread_rwlock_t*);
using SemFn = int (*)(sem_t*);

struct Real {
  SyscallFn syscall = nullptr;
  ClockGetFn clock_gettime = nullptr;
  LockFn mutex_lock = nullptr, mutex_trylock = nullptr, mutex_unlock = nullptr;
  CondWaitFn cond_wait = nullptr;
  CondTimedWaitFn cond_timedwait = nullptr;
  CondClockWaitFn cond_clockwait = nullptr;
  CondSignalFn cond_signal = nullptr, cond_broadcast = nullptr;
  CreateFn create = nullptr;
  JoinFn join = nullptr;
  NanosleepFn nanosleep = nullptr;
  ClockNanosleepFn clock_nanosleep = nullptr;
  YieldFn sched_yield = nullptr;
  ExitFn exit = nullptr, _exit = nullptr;
  RwFn rdlock = nullptr, wrlock = nullptr, tryrdlock = nullptr, trywrlock = nullptr, rwunlock = nullptr;
  SemFn sem_wait = nullptr, sem_trywait = nullptr, sem_post = nullptr;
};
Real real;

void load_real() {
  real.syscall = real_function<SyscallFn>("syscall");
  real.clock_gettime = real_function<ClockGetFn>("clock_gettime");
  real.mutex_lock = real_function<LockFn>("pthread_mutex_lock");
  real.mutex_trylock = real_function<LockFn>("pthread_mutex_trylock");
  real.mutex_unlock = real_function<LockFn>("pthread_mutex_unlock");
  real.cond_wait = real_function<CondWaitFn>("pthread_cond_wait", "GLIBC_2.3.2");
  real.cond_timedwait = real_function<CondTimedWaitFn>("pthread_cond_timedwait", "GLIBC_2.3.2");
  real.cond_clockwait = real_function<CondClockWaitFn>("pthread_cond_clockwait", "GLIBC_2.30");
  real.cond_signal = real_function<CondSignalFn>("pthread_cond_signal", "GLIBC_2.3.2");
  real.cond_broadcast = real_function<CondSignalFn>("pthread_cond_broadcast", "GLIBC_2.3.2");
  real.create = real_function<CreateFn>("pthread_create");
  real.join = real_function<JoinFn>("pthread_join");
  real.nanosleep = real_function<NanosleepFn>("nanosleep");
  real.clock_nanosleep = real_function<ClockNanosleepFn>("clock_nanosleep");
  real.sched_yield = real_function<YieldFn>("sched_yield");
  real.exit = real_function<ExitFn>("exit");
  real._exit = real_function<ExitFn>("_exit");
  real.rdlock = real_function<RwFn>("pthread_rwlock_rdlock");
  real.wrlock = real_function<RwFn>("pthread_rwlock_wrlock");
  real.tryrdlock = real_function<RwFn>("pthread_rwlock_tryrdlock");
  real.trywrlock = real_function<RwFn>("pthread_rwlock_trywrlock");
  real.rwunlock = real_function<RwFn>("pthread_rwlock_unlock");
  real.sem_wait = real_function<SemFn>("sem_wait");
  real.sem_trywait = real_function<SemFn>("sem_trywait");
  real.sem_post = real_function<SemFn>("sem_post");
}

long raw_futex(void* addr, int op, int val, const timespec* t = nullptr) {
  return real.syscall(SYS_futex, addr, op, val, t, nullptr, 0);
}

std::int64_t ns_of(const timespec& t) { return std::int64_t(t.tv_sec) * 1000000000 + t.tv_nsec; }
timespec ts_of(std::int64_t ns) { return timespec{time_t(ns / 1000000000), long(ns % 1000000000)}; }
std::int64_t real_ns(clockid_t clock) {
  timespec t{};
  real.clock_gettime(clock, &t);
  return ns_of(t);
}

// ------------------------------------------------------------ the big lock

// A futex lock of our own: the pthread layer is what we interpose.
std::atomic<int> big{0};
void big_lock() {
  int c = 0;
  if (big.compare_exchange_strong(c, 1)) return;
  if (c != 2) c = big.exchange(2);
  while (c != 0) {
    raw_futex(&big, FUTEX_WAIT_PRIVATE, 2);
    c = big.exchange(2);
  }
}
void big_unlock() {
  if (big.exchange(0) == 2) raw_futex(&big, FUTEX_WAKE_PRIVATE, 1);
}

// ------------------------------------------------------------ model

enum class State { runnable, blocked, outside, finished };
enum class Wait { none, mutex, cond, futex, join, sleep, rwlock, sem };
const char* wait_name(Wait w) {
  switch (w) {
    case Wait::mutex: return "pthread_mutex_lock";
    case Wait::cond: return "pthread_cond_wait";
    case Wait::futex: return "futex wait (future, latch, semaphore, atomic wait)";
    case Wait::join: return "pthread_join";
    case Wait::sleep: return "sleep";
    case Wait::rwlock: return "pthread_rwlock lock";
    case Wait::sem: return "sem_wait";
    default: return "?";
  }
}

struct Thread {
  int id = 0;
  State state = State::runnable;
  Wait wait = Wait::none;
  const void* object = nullptr;
  std::int64_t deadline = -1;  // virtual ns, -1: none
  bool timed_out = false;
  bool arrived = false;
  bool parked = false;
  std::uint64_t wait_seq = 0;  // FIFO order among the waiters of an object
  std::atomic<int> go{0};
  pthread_t handle{};
  long tid = 0;
  long priority = 0;  // pct
  void* frames[24];
  int nframes = 0;
};

struct Event {
  std::uint64_t step;
  std::int64_t vt;
  int thread;
  const char* op;
  int object;  // ordinal of the object, -1 none
  char kind;
};

struct Sched {
  bool enabled = false;
  bool pct = false;
  std::uint64_t seed = 1;
  std::uint64_t rng = 0;
  int depth = 3;
  std::uint64_t pct_steps = 5000;
  std::vector<std::uint64_t> change_points;
  long low_priority = 0;  // next priority below every other (pct changes, yields)
  std::vector<Thread*> threads;  // the live ones, in the order they started
  int next_id = 1;
  Thread* current = nullptr;
  Thread* watcher = nullptr;
  std::uint64_t step = 0;
  std::uint64_t wait_seq = 0;
  std::int64_t vt = 0;  // virtual ns since start
  std::int64_t mono0 = 0, real0 = 0, boot0 = 0;
  // the grace: the current thread's progress as the watcher last saw it
  Thread* seen_current = nullptr;
  std::uint64_t seen_step = 0;
  std::int64_t seen_since = 0;
  std::int64_t seen_cpu = 0;
  std::int64_t last_tick = 0;
  std::int64_t last_flush = 0;
  std::int64_t grace_ns = 40'000'000;
  std::int64_t step_ns = 10'000;   // virtual time a scheduling point takes
  std::int64_t yield_ns = 50'000;  // ... and a sched_yield
  std::unordered_map<const void*, int> object_ids;
  std::unordered_map<const void*, std::pair<Thread*, int>> owners;  // mutex -> holder, depth
  std::vector<Event> ring = std::vector<Event>(4096);
  int trace_fd = -1;
  std::string trace_path;  // KATA_EXPLORE_TRACE, until the first event opens it
  std::string trace_buf;
  bool reported = false;
  bool cycle_reported = false;
};
// Constructed by init(), which can run before this library's own static
// initializers (another library's constructor may lock a mutex first).
alignas(Sched) unsigned char sched_storage[sizeof(Sched)];
#define S (*reinterpret_cast<Sched*>(sched_storage))
std::atomic<int> init_state{0};  // 0 not yet, 1 running, 2 done
std::atomic<bool> active{false};  // enabled, and not a forked child
std::int64_t child_offset = 0;    // a forked child's clock: real + offset

thread_local Thread* self __attribute__((tls_model("initial-exec"))) = nullptr;

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

int object_id(const void* p) {
  if (!p) return -1;
  auto [it, fresh] = S.object_ids.emplace(p, int(S.object_ids.size()) + 1);
  (void)fresh;
  return it->second;
}

void trace_flush() {
  if (S.trace_fd < 0 || S.trace_buf.empty()) return;
  const char* p = S.trace_buf.data();
  std::size_t left = S.trace_buf.size();
  while (left > 0) {
    auto n = ::write(S.trace_fd, p, left);
    if (n <= 0) break;
    p += n;
    left -= std::size_t(n);
  }
  S.trace_buf.clear();
}

// A line of the trace that is not an event ("# ..."): why the run ended.
void trace_note(const std::string& text) {
  if (S.trace_fd < 0) return;
  S.trace_buf += "# ";
  for (char c : text) S.trace_buf += c == '\n' ? ' ' : c;
  S.trace_buf += '\n';
}

void record(Thread* t, const char* op, const void* obj, char kind) {
  Event e{S.step, S.vt, t ? t->id : -1, op, object_id(obj), kind};
  S.ring[S.step % S.ring.size()] = e;
  ++S.step;
  if (!S.trace_path.empty()) {
    S.trace_fd = ::open(S.trace_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    S.trace_path.clear();
  }
  if (S.trace_fd >= 0) {
    char line[160];
    int n = e.object >= 0 ? std::snprintf(line, sizeof line, "%llu %lld T%d %s %c%d\n", (unsigned long long)e.step,
                                          (long long)e.vt, e.thread, e.op, e.kind, e.object)
                          : std::snprintf(line, sizeof line, "%llu %lld T%d %s\n", (unsigned long long)e.step,
                                          (long long)e.vt, e.thread, e.op);
    S.trace_buf.append(line, std::size_t(n));
    if (S.trace_buf.size() > (1 << 16)) trace_flush();
  }
}

// ------------------------------------------------------------ strategy

void pct_assign_priority(Thread* t) {
  // Distinct random priorities above every change point's (which are 1..d-1).
  t->priority = long(S.depth) + 1 + long(splitmix(S.rng) % 1000000) * 64 + t->id % 64;
}

Thread* pick() {
  Thread* best = nullptr;
  std::size_t n = 0;
  for (auto* t : S.threads)
    if (t->state == State::runnable) ++n;
  if (n == 0) return nullptr;
  // PCT's bound is its first k steps; past them the random walk takes over,
  // so a thread that loops without ever blocking (a wait_for that keeps
  // returning true) cannot starve a lower-priority one forever.
  if (!S.pct || S.step > S.pct_steps) {
    std::size_t k = splitmix(S.rng) % n;
    for (auto* t : S.threads)
      if (t->state == State::runnable && k-- == 0) return t;
  }
  for (auto* t : S.threads)
    if (t->state == State::runnable && (!best || t->priority > best->priority)) best = t;
  return best;
}

void make_current(Thread* t) {
  S.current = t;
  if (t) {
    t->go.fetch_add(1);
    if (t->parked) raw_futex(&t->go, FUTEX_WAKE_PRIVATE, 1);
  }
}

// ------------------------------------------------------------ waking

void wake(Thread* t, bool timed_out) {
  t->state = State::runnable;
  t->timed_out = timed_out;
  t->wait = Wait::none;
  t->object = nullptr;
  t->deadline = -1;
}

// Wakes the threads blocked on `obj` for `why`, at most n (FIFO); returns how many.
int wake_waiters(Wait why, const void* obj, int n) {
  int woken = 0;
  while (woken < n) {
    Thread* first = nullptr;
    for (auto* t : S.threads)
      if (t->state == State::blocked && t->wait == why && t->object == obj && (!first || t->wait_seq < first->wait_seq))
        first = t;
    if (!first) break;
    wake(first, false);
    ++woken;
  }
  return woken;
}

bool fire_timers() {
  bool any = false;
  for (auto* t : S.threads)
    if (t->state == State::blocked && t->deadline >= 0 && t->deadline <= S.vt) {
      wake(t, true);
      any = true;
    }
  return any;
}

// ------------------------------------------------------------ reports

void put(const std::string& s) {
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    auto n = ::write(2, p, left);
    if (n <= 0) break;
    p += n;
    left -= std::size_t(n);
  }
}

std::string strategy_text() {
  return "seed " + std::to_string(S.seed) + ", strategy " + (S.pct ? "pct depth " + std::to_string(S.depth) : "random");
}

std::string timeline(std::size_t last) {
  std::uint64_t from = S.step > last ? S.step - last : 0;
  if (S.step - from > S.ring.size()) from = S.step - S.ring.size();
  std::vector<int> columns;
  for (auto s = from; s < S.step; ++s) {
    int t = S.ring[s % S.ring.size()].thread;
    if (std::find(columns.begin(), columns.end(), t) == columns.end()) columns.push_back(t);
  }
  std::sort(columns.begin(), columns.end());
  const int width = 22;
  std::string out = "explore: the last " + std::to_string(S.step - from) + " scheduling points (" + strategy_text() +
                    "), one column per thread:\n";
  char cell[64];
  std::string head = "     step   time(ms) |";
  for (int c : columns) {
    std::snprintf(cell, sizeof cell, " %-*s|", width, ("T" + std::to_string(c) + (c == 0 ? " (main)" : "")).c_str());
    head += cell;
  }
  out += head + "\n";
  for (auto s = from; s < S.step; ++s) {
    const Event& e = S.ring[s % S.ring.size()];
    std::snprintf(cell, sizeof cell, "%9llu %10.3f |", (unsigned long long)e.step, double(e.vt) / 1e6);
    std::string row = cell;
    for (int c : columns) {
      std::string text;
      if (c == e.thread) text = std::string(e.op) + (e.object >= 0 ? " " + std::string(1, e.kind) + std::to_string(e.object) : "");
      std::snprintf(cell, sizeof cell, " %-*s|", width, text.c_str());
      row += cell;
    }
    out += row + "\n";
  }
  out += "explore: replay with the same seed (./kata check NN --profile explore --seed N); objects: m mutex, c condition "
         "variable, f futex word, r rwlock, s semaphore, t thread\n";
  return out;
}

// The threads' frames in the executable, as "function at file:line" lines
// (at most 3 a thread, the caller's, not the standard library's), one string
// a thread. One symbolizer call for all of them: each call loads the whole
// binary's debug information, which costs a large test binary most of a
// second with binutils' addr2line and a fifth of that with LLVM's.
std::vector<std::string> describe_frames(const std::vector<Thread*>& threads) {
  std::vector<std::string> out(threads.size());
  char exe[4096];
  auto len = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len <= 0) return out;
  exe[len] = '\0';
  const char* symbolizer = ::access("/usr/bin/llvm-addr2line-14", X_OK) == 0 ? "/usr/bin/llvm-addr2line-14" : "addr2line";
  std::string cmd = std::string(symbolizer) + " -C -f -p -e '" + exe + "'";
  std::vector<std::pair<std::size_t, std::string>> raw;  // (thread's index, exe+offset)
  for (std::size_t t = 0; t < threads.size(); ++t) {
    for (int i = 0; i < threads[t]->nframes; ++i) {
      Dl_info info{};
      if (!dladdr(threads[t]->frames[i], &info) || !info.dli_fname) continue;
      char resolved[4096];
      if (!realpath(info.dli_fname, resolved) || std::strcmp(resolved, exe) != 0) continue;
      auto offset =
          reinterpret_cast<std::uintptr_t>(threads[t]->frames[i]) - reinterpret_cast<std::uintptr_t>(info.dli_fbase) - 1;
      char text[64];
      std::snprintf(text, sizeof text, "0x%lx", (unsigned long)offset);
      cmd += std::string(" ") + text;
      raw.emplace_back(t, std::string(exe) + "+" + text);
    }
  }
  if (raw.empty()) return out;
  std::vector<std::string> lines;
  if (FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r")) {
    char buf[2048];
    while (std::fgets(buf, sizeof buf, p)) {
      std::string line = buf;
      while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
      lines.push_back(line);
    }
    pclose(p);
  }
  std::vector<int> shown(threads.size(), 0);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto t = raw[i].first;
    if (shown[t] == 3) continue;
    std::string line = i < lines.size() ? lines[i] : raw[i].second;
    // The standard library's own frames say little: the caller's do.
    if (line.rfind("std::", 0) == 0 || line.rfind("void std::", 0) == 0 || line.rfind("__gthread", 0) == 0 ||
        line.rfind("__gnu_cxx", 0) == 0 || line.rfind("_start", 0) == 0 || line.find("/usr/include/") != std::string::npos ||
        line.find("/include/c++/") != std::string::npos)
      continue;
    out[t] += "        at " + line + "\n";
    ++shown[t];
  }
  return out;
}

// The wait-for cycle among threads blocked on mutexes, starting at t, or "".
std::string cycle_from(Thread* start) {
  std::vector<Thread*> path;
  Thread* t = start;
  while (t && t->state == State::blocked && t->wait == Wait::mutex) {
    if (auto at = std::find(path.begin(), path.end(), t); at != path.end()) {
      std::string out;
      for (auto i = at; i != path.end(); ++i) {
        auto owner = S.owners.find((*i)->object);
        out += "T" + std::to_string((*i)->id) + " wants m" + std::to_string(object_id((*i)->object)) + " held by T" +
               std::to_string(owner->second.first->id) + "; ";
      }
      return out + "a cycle: none of them can go on";
    }
    path.push_back(t);
    auto owner = S.owners.find(t->object);
    t = owner == S.owners.end() ? nullptr : owner->second.first;
  }
  return "";
}

// Called with the big lock held, when no thread can run and no timer can fire.
void report_deadlock() {
  active = false;  // from here on everything passes through
  S.reported = true;
  std::string out = "explore: deadlock: every thread is blocked and no timed wait can fire (" + strategy_text() + ")\n";
  std::string cycle;
  std::vector<Thread*> blocked;
  for (auto* t : S.threads)
    if (t->state == State::blocked) blocked.push_back(t);
  const auto frames = describe_frames(blocked);
  for (std::size_t b = 0; b < blocked.size(); ++b) {
    Thread* t = blocked[b];
    out += "  T" + std::to_string(t->id) + (t->id == 0 ? " (main)" : "") + " waits in " + wait_name(t->wait);
    if (t->object) out += " on " + std::string(t->wait == Wait::mutex ? "m" : t->wait == Wait::cond ? "c" : "") +
                          std::to_string(object_id(t->object));
    if (t->wait == Wait::mutex) {
      auto owner = S.owners.find(t->object);
      if (owner != S.owners.end()) out += ", held by T" + std::to_string(owner->second.first->id);
    }
    std::string held;
    for (auto& [m, o] : S.owners)
      if (o.first == t) held += (held.empty() ? "" : ", ") + ("m" + std::to_string(object_id(m)));
    if (!held.empty()) out += "; it holds " + held;
    out += "\n" + frames[b];
    if (cycle.empty()) cycle = cycle_from(t);
  }
  if (!cycle.empty()) out += "  wait-for cycle: " + cycle + "\n";
  out += timeline(40);
  trace_note("deadlock" + (cycle.empty() ? std::string() : ": " + cycle));
  trace_flush();
  big_unlock();
  put(out);
  std::abort();
}

void warn_cycle() {
  if (S.cycle_reported) return;
  for (auto* t : S.threads) {
    std::string cycle = cycle_from(t);
    if (cycle.empty()) continue;
    S.cycle_reported = true;
    std::string out = "explore: wait-for cycle (" + strategy_text() + "): " + cycle + "\n";
    std::vector<Thread*> waiting;
    for (auto* u : S.threads)
      if (u->state == State::blocked && u->wait == Wait::mutex) waiting.push_back(u);
    const auto frames = describe_frames(waiting);
    for (std::size_t w = 0; w < waiting.size(); ++w) {
      out += "  T" + std::to_string(waiting[w]->id) + " waits for m" + std::to_string(object_id(waiting[w]->object)) + "\n";
      out += frames[w];
    }
    trace_note("deadlock while a timed wait can still fire: " + cycle);
    put(out);
    return;
  }
}

// ------------------------------------------------------------ scheduling

bool any_runnable() {
  for (auto* t : S.threads)
    if (t->state == State::runnable) return true;
  return false;
}

bool any_outside() {
  for (auto* t : S.threads)
    if (t->state == State::outside) return true;
  return false;
}

// Chooses who runs next (after `self` blocked, yielded or ended). Big lock held.
void reschedule() {
  for (;;) {
    if (Thread* next = pick()) {
      make_current(next);
      return;
    }
    if (any_outside()) {  // the watcher lets virtual time follow real time
      make_current(nullptr);
      return;
    }
    std::int64_t soonest = -1;
    for (auto* t : S.threads)
      if (t->state == State::blocked && t->deadline >= 0 && (soonest < 0 || t->deadline < soonest)) soonest = t->deadline;
    if (soonest < 0) report_deadlock();
    warn_cycle();
    if (soonest > S.vt) S.vt = soonest;
    fire_timers();
  }
}

void tick();

// CPU time the thread has used, in ns (-1 if unknown).
std::int64_t cpu_ns(Thread* t) {
  clockid_t cid;
  if (pthread_getcpuclockid(t->handle, &cid) != 0) return -1;
  timespec ts{};
  if (real.clock_gettime(cid, &ts) != 0) return -1;
  return ns_of(ts);
}

// Whether the kernel has the thread running or ready to run ('R'), rather
// than asleep in a system call.
bool kernel_runnable(Thread* t) {
  if (t->tid <= 0) return true;
  char path[64], buf[512];
  std::snprintf(path, sizeof path, "/proc/self/task/%ld/stat", t->tid);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  auto n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return true;
  buf[n] = '\0';
  const char* close_paren = std::strrchr(buf, ')');
  return !close_paren || close_paren[1] != ' ' || close_paren[2] == 'R';
}

// Waits until `self` is the current thread. Big lock held on entry and exit.
void park() {
  while (S.current != self) {
    if (!active.load()) break;  // the process is ending: every thread goes on unmodeled
    if (!S.watcher) S.watcher = self;
    int seen = self->go.load();
    self->parked = true;
    bool watching = S.watcher == self;
    big_unlock();
    timespec tick_time{0, 10'000'000};
    raw_futex(&self->go, FUTEX_WAIT_PRIVATE, seen, watching ? &tick_time : nullptr);
    big_lock();
    self->parked = false;
    // Set aside while on its way here: it is at a scheduling point, so back in the model.
    if (self->state == State::outside) self->state = State::runnable;
    if (S.watcher == self) tick();
  }
  if (S.watcher == self) {
    S.watcher = nullptr;
    // Hand the watch to another parked thread.
    for (auto* t : S.threads)
      if (t != self && t->parked && t->state != State::finished) {
        t->go.fetch_add(1);
        raw_futex(&t->go, FUTEX_WAKE_PRIVATE, 1);
        break;
      }
  }
  self->arrived = true;
}

// The watcher's duty, every 10 ms of real time: set aside a current thread
// that has not reached a scheduling point for the grace, and while threads are
// outside let virtual time follow real time.
void tick() {
  std::int64_t now = real_ns(CLOCK_MONOTONIC);
  if (now - S.last_flush >= 10'000'000) {  // a process killed at the grader's timeout leaves its events
    trace_flush();
    S.last_flush = now;
  }
  std::int64_t elapsed = S.last_tick ? now - S.last_tick : 0;
  S.last_tick = now;
  if (S.current && S.current != self) {
    if (S.current != S.seen_current || S.step != S.seen_step) {
      S.seen_current = S.current;
      S.seen_step = S.step;
      S.seen_since = now;
      S.seen_cpu = cpu_ns(S.current);
    } else if (now - S.seen_since > S.grace_ns && S.current->arrived && !S.current->parked &&
               (!kernel_runnable(S.current) || cpu_ns(S.current) - S.seen_cpu > S.grace_ns / 2)) {
      // Outside: asleep in a system call, or running (spinning, computing)
      // for the grace without a scheduling point. A thread that is ready but
      // gets no CPU (a loaded machine), or a parked current thread that has
      // not woken up yet, is not.
      S.current->state = State::outside;
      S.current = nullptr;
    }
  }
  if (!S.current) {
    if (!any_runnable() && any_outside()) {
      S.vt += std::min<std::int64_t>(elapsed, 20'000'000);
      fire_timers();
    }
    if (any_runnable() || !any_outside()) reschedule();
  }
}

// A scheduling point of the current thread: record, then maybe switch. Big lock held.
void point(const char* op, const void* obj, char kind, std::int64_t yields = 0) {
  if (self->state == State::outside) self->state = State::runnable;
  S.vt += yields ? S.yield_ns : S.step_ns;
  fire_timers();
  record(self, op, obj, kind);
  if (S.pct) {
    for (auto cp : S.change_points)
      if (cp == S.step) self->priority = ++S.low_priority - 1'000'000'000;  // below all others
  }
  if (S.current == nullptr || S.current == self) reschedule();
  park();
}

// `self` blocks for `why` on `obj` until woken or `deadline`. Big lock held.
// Returns false if the deadline passed.
bool block(Wait why, const void* obj, std::int64_t deadline) {
  self->state = State::blocked;
  self->wait = why;
  self->object = obj;
  self->deadline = deadline;
  self->timed_out = false;
  self->wait_seq = ++S.wait_seq;
  if (why == Wait::mutex || why == Wait::cond || why == Wait::futex || why == Wait::join || why == Wait::sem)
    self->nframes = backtrace(self->frames, 24);
  else
    self->nframes = 0;
  if (S.current == self) reschedule();
  park();
  return !self->timed_out;
}

bool managed() { return active.load(std::memory_order_relaxed) && self && self->state != State::finished; }

void init();
void ensure_init() {
  if (init_state.load(std::memory_order_acquire) != 2) init();
}

// Deadlines: from an absolute time on `clock` to virtual ns.
std::int64_t virtual_deadline(clockid_t clock, const timespec* abs) {
  std::int64_t t = ns_of(*abs);
  std::int64_t base = clock == CLOCK_REALTIME ? S.real0 : S.mono0;
  return std::max<std::int64_t>(t - base, 0);
}

// ------------------------------------------------------------ mutexes

void note_acquired(const void* m) {
  auto& o = S.owners[m];
  o.first = self;
  ++o.second;
}
void note_released(const void* m) {
  auto it = S.owners.find(m);
  if (it != S.owners.end() && --it->second.second <= 0) S.owners.erase(it);
}

// Takes m, blocking (modeled) while it is held; big lock held. deadline < 0: none.
int acquire(pthread_mutex_t* m, std::int64_t deadline) {
  for (;;) {
    if (!active.load()) {
      big_unlock();
      int r = real.mutex_lock(m);
      big_lock();
      return r;
    }
    int r = real.mutex_trylock(m);
    if (r == 0) {
      note_acquired(m);
      return 0;
    }
    if (r != EBUSY) return r;
    if (!block(Wait::mutex, m, deadline)) {
      if (real.mutex_trylock(m) == 0) {
        note_acquired(m);
        return 0;
      }
      return ETIMEDOUT;
    }
  }
}

int release(pthread_mutex_t* m) {
  int r = real.mutex_unlock(m);
  if (r == 0) {
    note_released(m);
    wake_waiters(Wait::mutex, m, 1 << 30);
  }
  return r;
}

int cond_wait_common(pthread_cond_t* c, pthread_mutex_t* m, std::int64_t deadline, const char* op) {
  big_lock();
  point(op, c, 'c');
  int r = release(m);
  if (r != 0) {
    big_unlock();
    return r;
  }
  bool woken = block(Wait::cond, c, deadline);
  record(self, woken ? "woken" : "timed out", c, 'c');
  acquire(m, -1);
  big_unlock();
  return woken ? 0 : ETIMEDOUT;
}

// Outside the model (a thread we did not start): after a real release, the
// modeled waiters get their chance too.
void unmanaged_wake(Wait why, const void* obj) {
  if (!active.load(std::memory_order_relaxed)) return;
  big_lock();
  if (wake_waiters(why, obj, 1 << 30) && !S.current) reschedule();
  big_unlock();
}

// ------------------------------------------------------------ threads

struct Start {
  void* (*routine)(void*);
  void* arg;
  Thread* thread;
};

void finish_thread() {
  big_lock();
  record(self, "exit", nullptr, 't');
  self->state = State::finished;
  wake_waiters(Wait::join, self, 1 << 30);
  // Off the list (a test may start thousands): a later join finds it gone and
  // joins at once.
  S.threads.erase(std::find(S.threads.begin(), S.threads.end(), self));
  if (S.watcher == self) S.watcher = nullptr;
  if (S.current == self) reschedule();
  // wake a parked thread to watch if nobody does
  big_unlock();
  self = nullptr;  // thread-local destructors from here on pass through
}

void* start_thread(void* raw) {
  Start start = *static_cast<Start*>(raw);
  delete static_cast<Start*>(raw);
  self = start.thread;
  self->tid = real.syscall(SYS_gettid);
  big_lock();
  self->handle = pthread_self();
  park();
  record(self, "start", nullptr, 't');
  big_unlock();
  void* result = start.routine(start.arg);
  if (self) finish_thread();
  return result;
}

// ------------------------------------------------------------ init and exit

// The process is ending: the scheduler steps aside and every parked thread goes on.
void step_aside() {
  if (!active.load()) return;
  big_lock();
  trace_flush();
  active = false;
  for (auto* t : S.threads) {
    t->go.fetch_add(1);
    if (t->parked) raw_futex(&t->go, FUTEX_WAKE_PRIVATE, 1);
  }
  big_unlock();
}

void print_timeline_once(const char* why) {
  if (!active.load() || S.reported || S.next_id < 2) return;  // never threaded: nothing to show
  big_lock();
  if (S.reported) {
    big_unlock();
    return;
  }
  S.reported = true;
  std::string out = std::string("explore: ") + why + "\n" + timeline(40);
  trace_note(why);
  trace_flush();
  big_unlock();
  put(out);
}

void on_abort(int sig) {
  print_timeline_once("the process aborted");
  signal(sig, SIG_DFL);
  raise(sig);
}

void child_after_fork() {
  if (!active.load()) return;
  child_offset = (S.mono0 + S.vt) - real_ns(CLOCK_MONOTONIC);
  active = false;
  big.store(0);
  if (S.trace_fd >= 0) S.trace_fd = -1;  // the parent's file
  S.trace_path.clear();
}

// The process's environment variable `name`. init() can run before libc has
// set up `environ` (the test harness's .preinit_array reads its channel
// through syscall(), which is ours): then getenv finds nothing, and the
// variables come from /proc/self/environ, the environment the program started with.
const char* env_value(const char* name) {
  if (const char* v = std::getenv(name)) return v;
  if (environ && *environ) return nullptr;
  static char buf[1 << 16];
  static long size = -1;
  if (size < 0) {
    size = 0;
    int fd = ::open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      long n;
      while (size < long(sizeof buf) - 1 && (n = ::read(fd, buf + size, sizeof buf - 1 - size)) > 0) size += n;
      ::close(fd);
    }
    buf[size] = '\0';
  }
  std::size_t len = std::strlen(name);
  for (long at = 0; at < size; at += long(std::strlen(buf + at)) + 1)
    if (std::strncmp(buf + at, name, len) == 0 && buf[at + len] == '=') return buf + at + len + 1;
  return nullptr;
}

void init() {
  int expected = 0;
  if (!init_state.compare_exchange_strong(expected, 1)) {
    while (init_state.load() != 2) {
    }
    return;
  }
  load_real();
  new (sched_storage) Sched;
  const char* on = env_value("KATA_EXPLORE");
  S.enabled = !(on && std::strcmp(on, "0") == 0);
  if (const char* s = env_value("KATA_EXPLORE_SEED")) S.seed = std::strtoull(s, nullptr, 10);
  else if (const char* k = env_value("KATA_SEED")) S.seed = std::strtoull(k, nullptr, 10);
  if (const char* st = env_value("KATA_EXPLORE_STRATEGY")) S.pct = std::strcmp(st, "pct") == 0;
  if (const char* d = env_value("KATA_EXPLORE_DEPTH")) S.depth = std::max(1, std::atoi(d));
  if (const char* k = env_value("KATA_EXPLORE_STEPS")) S.pct_steps = std::max(1ull, std::strtoull(k, nullptr, 10));
  if (const char* g = env_value("KATA_EXPLORE_GRACE_MS")) S.grace_ns = std::int64_t(std::max(1, std::atoi(g))) * 1000000;
  if (const char* u = env_value("KATA_EXPLORE_STEP_US")) S.step_ns = std::int64_t(std::max(0, std::atoi(u))) * 1000;
  S.yield_ns = std::max<std::int64_t>(S.yield_ns, S.step_ns);
  S.rng = S.seed * 0x100000001b3ull + 0x5eed;
  for (int i = 1; i < S.depth; ++i) S.change_points.push_back(1 + splitmix(S.rng) % S.pct_steps);
  S.low_priority = 0;
  S.mono0 = real_ns(CLOCK_MONOTONIC);
  S.real0 = real_ns(CLOCK_REALTIME);
  S.boot0 = real_ns(CLOCK_BOOTTIME);
  if (S.enabled) {
    // Opened at the first event: a program that records none (`timeout`
    // starting the test, addr2line for the frames) leaves the file alone.
    if (const char* path = env_value("KATA_EXPLORE_TRACE")) S.trace_path = path;
    void* warm[2];
    backtrace(warm, 2);  // loads the unwinder now, not in the middle of a schedule
    auto* main_thread = new Thread;
    main_thread->id = 0;
    main_thread->arrived = true;
    main_thread->handle = pthread_self();
    main_thread->tid = real.syscall(SYS_gettid);
    pct_assign_priority(main_thread);
    S.threads.push_back(main_thread);
    S.current = main_thread;
    self = main_thread;
    pthread_atfork(nullptr, nullptr, child_after_fork);
    struct sigaction sa {};
    sa.sa_handler = on_abort;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGABRT, &sa, nullptr);
    active = true;
  }
  init_state.store(2, std::memory_order_release);
}

__attribute__((constructor)) void explore_constructor() { ensure_init(); }

}  // namespace

// ============================================================ interposed

extern "C" {

int pthread_mutex_lock(pthread_mutex_t* m) {
  ensure_init();
  if (!managed()) return real.mutex_lock(m);
  big_lock();
  point("lock", m, 'm');
  int r = acquire(m, -1);
  big_unlock();
  return r;
}

int pthread_mutex_trylock(pthread_mutex_t* m) {
  ensure_init();
  if (!managed()) return real.mutex_trylock(m);
  big_lock();
  point("trylock", m, 'm');
  int r = real.mutex_trylock(m);
  if (r == 0) note_acquired(m);
  big_unlock();
  return r;
}

int pthread_mutex_timedlock(pthread_mutex_t* m, const timespec* t) {
  ensure_init();
  static const auto real_timed = real_function<int (*)(pthread_mutex_t*, const timespec*)>("pthread_mutex_timedlock");
  if (!managed()) return real_timed(m, t);
  big_lock();
  point("timedlock", m, 'm');
  int r = acquire(m, virtual_deadline(CLOCK_REALTIME, t));
  big_unlock();
  return r;
}

int pthread_mutex_clocklock(pthread_mutex_t* m, clockid_t clock, const timespec* t) {
  ensure_init();
  static const auto real_clock =
      real_function<int (*)(pthread_mutex_t*, clockid_t, const timespec*)>("pthread_mutex_clocklock");
  if (!managed()) return real_clock(m, clock, t);
  big_lock();
  point("clocklock", m, 'm');
  int r = acquire(m, virtual_deadline(clock, t));
  big_unlock();
  return r;
}

int pthread_mutex_unlock(pthread_mutex_t* m) {
  ensure_init();
  if (!managed()) {
    int r = real.mutex_unlock(m);
    unmanaged_wake(Wait::mutex, m);
    return r;
  }
  big_lock();
  int r = release(m);
  point("unlock", m, 'm');
  big_unlock();
  return r;
}

int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  ensure_init();
  if (!managed()) return real.cond_wait(c, m);
  return cond_wait_common(c, m, -1, "wait");
}

int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* t) {
  ensure_init();
  if (!managed()) return real.cond_timedwait(c, m, t);
  // glibc keeps the clock of pthread_condattr_setclock in bit 1 of __wrefs.
  clockid_t clock = (c->__data.__wrefs & 2) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
  return cond_wait_common(c, m, virtual_deadline(clock, t), "timedwait");
}

// libstdc++ 12 makes every steady-clock wait_for/wait_until this call.
int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const timespec* t) {
  ensure_init();
  if (!managed()) return real.cond_clockwait(c, m, clock, t);
  return cond_wait_common(c, m, virtual_deadline(clock, t), "timedwait");
}

int pthread_cond_signal(pthread_cond_t* c) {
  ensure_init();
  if (!managed()) {
    unmanaged_wake(Wait::cond, c);
    return real.cond_signal(c);
  }
  big_lock();
  wake_waiters(Wait::cond, c, 1);
  point("signal", c, 'c');
  big_unlock();
  return real.cond_signal(c);  // a waiter we do not model, if any
}

int pthread_cond_broadcast(pthread_cond_t* c) {
  ensure_init();
  if (!managed()) {
    unmanaged_wake(Wait::cond, c);
    return real.cond_broadcast(c);
  }
  big_lock();
  wake_waiters(Wait::cond, c, 1 << 30);
  point("broadcast", c, 'c');
  big_unlock();
  return real.cond_broadcast(c);
}

int pthread_rwlock_rdlock(pthread_rwlock_t* l) {
  ensure_init();
  if (!managed()) return real.rdlock(l);
  big_lock();
  point("rdlock", l, 'r');
  int r;
  while ((r = real.tryrdlock(l)) == EBUSY) block(Wait::rwlock, l, -1);
  big_unlock();
  return r;
}

int pthread_rwlock_wrlock(pthread_rwlock_t* l) {
  ensure_init();
  if (!managed()) return real.wrlock(l);
  big_lock();
  point("wrlock", l, 'r');
  int r;
  while ((r = real.trywrlock(l)) == EBUSY) block(Wait::rwlock, l, -1);
  big_unlock();
  return r;
}

int pthread_rwlock_unlock(pthread_rwlock_t* l) {
  ensure_init();
  if (!managed()) {
    int r = real.rwunlock(l);
    unmanaged_wake(Wait::rwlock, l);
    return r;
  }
  big_lock();
  int r = real.rwunlock(l);
  wake_waiters(Wait::rwlock, l, 1 << 30);
  point("rwunlock", l, 'r');
  big_unlock();
  return r;
}

int sem_wait(sem_t* s) {
  ensure_init();
  if (!managed()) return real.sem_wait(s);
  big_lock();
  point("sem_wait", s, 's');
  while (real.sem_trywait(s) != 0) block(Wait::sem, s, -1);
  big_unlock();
  return 0;
}

int sem_post(sem_t* s) {
  ensure_init();
  if (!managed()) {
    int r = real.sem_post(s);
    unmanaged_wake(Wait::sem, s);
    return r;
  }
  big_lock();
  int r = real.sem_post(s);
  wake_waiters(Wait::sem, s, 1 << 30);
  point("sem_post", s, 's');
  big_unlock();
  return r;
}

int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*routine)(void*), void* arg) {
  ensure_init();
  if (!managed()) return real.create(thread, attr, routine, arg);
  big_lock();
  auto* t = new Thread;
  t->id = S.next_id++;
  pct_assign_priority(t);
  auto* start = new Start{routine, arg, t};
  int r = real.create(thread, attr, start_thread, start);
  if (r != 0) {
    delete start;
    delete t;
    big_unlock();
    return r;
  }
  t->handle = *thread;
  S.threads.push_back(t);
  point("create", t, 't');
  big_unlock();
  return 0;
}

int pthread_join(pthread_t thread, void** result) {
  ensure_init();
  if (!managed()) return real.join(thread, result);
  big_lock();
  Thread* target = nullptr;
  for (auto* t : S.threads)
    if (t->handle == thread && t != self) target = t;
  if (target) {
    point("join", target, 't');
    while (target->state != State::finished) block(Wait::join, target, -1);
  } else {
    point("join", nullptr, 't');  // it has ended already (or is not ours)
  }
  big_unlock();
  return real.join(thread, result);
}

void pthread_exit(void* value) {
  ensure_init();
  static const auto real_exit = real_function<void (*)(void*)>("pthread_exit");
  if (managed() && self->id != 0) finish_thread();
  real_exit(value);
  __builtin_unreachable();
}

int sched_yield() {
  ensure_init();
  if (!managed()) return real.sched_yield();
  big_lock();
  if (S.pct) self->priority = ++S.low_priority - 1'000'000'000;  // let the others go first
  point("yield", nullptr, ' ', 1);
  big_unlock();
  return 0;
}

int nanosleep(const timespec* req, timespec* rem) {
  ensure_init();
  if (!managed()) return real.nanosleep(req, rem);
  big_lock();
  point("sleep", nullptr, ' ');
  block(Wait::sleep, nullptr, S.vt + std::max<std::int64_t>(ns_of(*req), 0));
  big_unlock();
  if (rem) *rem = timespec{0, 0};
  return 0;
}

int clock_nanosleep(clockid_t clock, int flags, const timespec* req, timespec* rem) {
  ensure_init();
  if (!managed()) return real.clock_nanosleep(clock, flags, req, rem);
  big_lock();
  point("sleep", nullptr, ' ');
  std::int64_t deadline = (flags & TIMER_ABSTIME) ? virtual_deadline(clock, req) : S.vt + std::max<std::int64_t>(ns_of(*req), 0);
  block(Wait::sleep, nullptr, deadline);
  big_unlock();
  if (rem) *rem = timespec{0, 0};
  return 0;
}

int usleep(useconds_t us) {
  timespec t{time_t(us / 1000000), long(us % 1000000) * 1000};
  return nanosleep(&t, nullptr);
}

int clock_gettime(clockid_t clock, timespec* t) {
  ensure_init();
  if (!active.load(std::memory_order_relaxed) || !S.enabled) {
    int r = real.clock_gettime(clock, t);
    if (r == 0 && child_offset != 0 &&
        (clock == CLOCK_MONOTONIC || clock == CLOCK_MONOTONIC_RAW || clock == CLOCK_BOOTTIME || clock == CLOCK_REALTIME))
      *t = ts_of(ns_of(*t) + child_offset + (clock == CLOCK_REALTIME ? S.real0 - S.mono0 : 0));
    return r;
  }
  std::int64_t base;
  switch (clock) {
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE: base = S.mono0; break;
    case CLOCK_BOOTTIME: base = S.boot0; break;
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE: base = S.real0; break;
    default: return real.clock_gettime(clock, t);
  }
  big_lock();
  std::int64_t now = base + S.vt;
  big_unlock();
  *t = ts_of(now);
  return 0;
}

// libstdc++ reaches the futex through syscall(): futures, std::latch,
// std::counting_semaphore, std::atomic::wait. Those waits are modeled too.
long syscall(long number, ...) {
  va_list ap;
  va_start(ap, number);
  long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long), a4 = va_arg(ap, long),
       a5 = va_arg(ap, long), a6 = va_arg(ap, long);
  va_end(ap);
  ensure_init();
  if (number != SYS_futex || !active.load(std::memory_order_relaxed))
    return real.syscall(number, a1, a2, a3, a4, a5, a6);
  auto* addr = reinterpret_cast<int*>(a1);
  int op = int(a2) & FUTEX_CMD_MASK;
  bool realtime = (int(a2) & FUTEX_CLOCK_REALTIME) != 0;
  if (op == FUTEX_WAKE || op == FUTEX_WAKE_BITSET) {
    long woken_real = real.syscall(number, a1, a2, a3, a4, a5, a6);
    if (!managed()) {
      unmanaged_wake(Wait::futex, addr);
      return woken_real;
    }
    big_lock();
    int woken = wake_waiters(Wait::futex, addr, int(a3));
    point("futex_wake", addr, 'f');
    big_unlock();
    return woken + std::max(0L, woken_real);
  }
  if ((op != FUTEX_WAIT && op != FUTEX_WAIT_BITSET) || !managed()) return real.syscall(number, a1, a2, a3, a4, a5, a6);
  auto* timeout = reinterpret_cast<const timespec*>(a4);
  big_lock();
  point("futex_wait", addr, 'f');
  if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != int(a3)) {
    big_unlock();
    errno = EAGAIN;
    return -1;
  }
  std::int64_t deadline = -1;
  if (timeout) {
    if (op == FUTEX_WAIT) deadline = S.vt + ns_of(*timeout);
    else deadline = virtual_deadline(realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, timeout);
  }
  bool woken = block(Wait::futex, addr, deadline);
  big_unlock();
  if (!woken) {
    errno = ETIMEDOUT;
    return -1;
  }
  return 0;
}

void exit(int status) {
  ensure_init();
  if (status != 0) print_timeline_once(("exit(" + std::to_string(status) + ")").c_str());
  step_aside();  // static destructors and atexit handlers pass through
  real.exit(status);
  __builtin_unreachable();
}

void _exit(int status) {
  ensure_init();
  if (status != 0) print_timeline_once(("_exit(" + std::to_string(status) + ")").c_str());
  if (active.load()) {
    big_lock();
    trace_flush();
    big_unlock();
  }
  real._exit(status);
  __builtin_unreachable();
}

// main's return goes to exit() inside libc, out of our reach: wrap main.
using MainFn = int (*)(int, char**, char**);
static MainFn real_main = nullptr;
static int main_wrapper(int argc, char** argv, char** envp) {
  // When the scheduler started from a .preinit_array function (the harness's
  // syscall() for its channel), libc's environ is still unset here and main
  // would get no environment: getenv would find nothing (a test's KATA_SEED).
  // The kernel put it after argv's terminating null.
  if (!envp) envp = argv + argc + 1;
  if (!environ) environ = envp;
  int status = real_main(argc, argv, envp);
  exit(status);
}

int __libc_start_main(MainFn main, int argc, char** argv, void (*init_fn)(), void (*fini)(), void (*rtld_fini)(),
                      void* stack_end) {
  using StartFn = int (*)(MainFn, int, char**, void (*)(), void (*)(), void (*)(), void*);
  auto real_start = real_function<StartFn>("__libc_start_main");
  real_main = main;
  return real_start(main_wrapper, argc, argv, init_fn, fini, rtld_fini, stack_end);
}

}  // extern "C"
