// Hidden tests of 36-lock-free-stack: a Treiber stack of ints.
// Single-threaded tests pin down LIFO order and the empty stack. Stress
// tests push and pop from several threads and count every value (each popped
// exactly once); a hand-over from a pushing thread to a popping one lets
// ThreadSanitizer check the orderings. The rest use the stack's test hook to
// stop one thread at a chosen Step and play an exact interleaving:
//  - ABA: a pop stopped before its compare-exchange while the head it read is
//    popped, freed, and its memory handed back by the allocator for a new
//    node (glibc reuses the most recently freed block of a size first);
//  - use after free: a pop stopped before reading head->next while that node
//    is popped (AddressSanitizer sees a read of freed memory);
//  - progress: other threads finish while one is stopped (no lock held);
//  - destruction with deferred nodes (LeakSanitizer sees what is not freed).
#include <catch2/catch.hpp>

#include "lock_free_stack.hpp"

#include <kata/test.hpp>

#include <algorithm>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Step = LockFreeStack::Step;

namespace {

/// Stops the first thread that reaches `at` after arm(), inside the stack's
/// test hook, until release(). Safe from any thread.
class Gate {
 public:
  explicit Gate(Step at) : at_(at) {}
  void arm() { armed_.store(true); }
  void on_step(Step s) {
    if (s != at_ || !armed_.load() || !armed_.exchange(false)) return;
    std::unique_lock lock(mutex_);
    stopped_ = true;
    changed_cv_.notify_all();
    changed_cv_.wait(lock, [&] { return released_; });
  }
  /// True once a thread is held at the gate (false after `limit`).
  bool wait_stopped(std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    if (changed_cv_.wait_for(lock, limit, [&] { return stopped_; })) return true;
    kata::request_stacks();
    return false;
  }
  void release() {
    std::lock_guard guard(mutex_);
    released_ = true;
    changed_cv_.notify_all();
  }

 private:
  const Step at_;
  std::atomic<bool> armed_{false};
  std::mutex mutex_;
  std::condition_variable changed_cv_;
  bool stopped_ = false;
  bool released_ = false;
};

/// A stack with a gate in its hook, shared with the threads of a test: an
/// abandoned thread (a test that failed on a deadline) keeps it alive.
struct Fixture {
  explicit Fixture(Step at) : gate(at) {
    // A raw pointer: the stack holds the hook, the fixture holds the stack.
    stack.set_test_hook([this](Step s) {
      gate.on_step(s);
      if (s == Step::push_linked && on_push_linked && run_on_push_linked.exchange(false)) on_push_linked();
    });
  }
  Gate gate;
  std::function<void()> on_push_linked;  // run once inside a push, when run_on_push_linked is set
  std::atomic<bool> run_on_push_linked{false};
  LockFreeStack stack;
};

/// A function running on a thread of its own, waited for with a deadline.
template <class T>
class Background {
 public:
  template <class F>
  explicit Background(F fn) {
    std::packaged_task<T()> task(std::move(fn));
    result_ = task.get_future();
    thread_ = std::thread(std::move(task));
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  ~Background() {
    if (thread_.joinable()) thread_.detach();  // stuck: abandon it, never block
  }
  /// True when it returned within `limit` (the thread is then joined).
  bool finish_within(std::chrono::seconds limit) {
    if (!thread_.joinable()) return true;
    if (result_.wait_for(limit) != std::future_status::ready) {
      kata::request_stacks();
      return false;
    }
    thread_.join();
    return true;
  }
  /// The returned value (rethrows what it threw). After finish_within().
  T get() { return result_.get(); }

 private:
  std::future<T> result_;
  std::thread thread_;
};

/// Pops until the stack is empty, at most `limit` values (a corrupted stack
/// can hold a cycle).
std::vector<int> drain(LockFreeStack& stack, std::size_t limit) {
  std::vector<int> values;
  while (values.size() < limit) {
    auto v = stack.pop();
    if (!v) break;
    values.push_back(*v);
  }
  return values;
}

/// "" when `popped` holds every value of `pushed` exactly once and nothing
/// else; otherwise what is wrong, for INFO.
std::string exactly_once(const std::vector<int>& pushed, const std::vector<int>& popped) {
  std::map<int, int> count;
  for (int v : pushed) ++count[v];
  for (int v : popped) --count[v];
  std::string lost, extra;
  int n_lost = 0, n_extra = 0;
  for (const auto& [v, c] : count) {
    if (c > 0 && n_lost++ < 10) lost += " " + std::to_string(v);
    if (c < 0 && n_extra++ < 10) extra += " " + std::to_string(v) + "(x" + std::to_string(1 - c) + ")";
  }
  if (n_lost == 0 && n_extra == 0) return "";
  return std::to_string(pushed.size()) + " pushed, " + std::to_string(popped.size()) + " popped; " +
         std::to_string(n_lost) + " never popped:" + lost + "; " + std::to_string(n_extra) +
         " popped too often:" + extra;
}

}  // namespace

// R1
TEST_CASE("values come out in the reverse order they went in", "[36-lock-free-stack][unit][req:1]") {
  LockFreeStack stack;
  for (int i = 1; i <= 100; ++i) stack.push(i);
  for (int i = 100; i >= 1; --i) {
    auto v = stack.pop();
    REQUIRE(v.has_value());
    REQUIRE(*v == i);
  }
  CHECK_FALSE(stack.pop().has_value());
}

// R1
TEST_CASE("pushes and pops in any mix agree with a std::vector used as a stack", "[36-lock-free-stack][unit][req:1]") {
  LockFreeStack stack;
  std::vector<int> model;
  auto gen = kata::rng(36);
  for (int step = 0; step < 20000; ++step) {
    // Lean towards pushes, then towards pops, so the stack fills and empties.
    const bool push_phase = (step / 200) % 2 == 0;
    if (push_phase ? gen() % 4 != 0 : gen() % 4 == 0) {
      stack.push(step);
      model.push_back(step);
    } else {
      auto v = stack.pop();
      std::optional<int> expected;
      if (!model.empty()) {
        expected = model.back();
        model.pop_back();
      }
      if (v != expected) {
        CAPTURE(step, model.size(), v.value_or(-1), expected.value_or(-1));
        REQUIRE(v == expected);
      }
    }
  }
  CHECK(drain(stack, model.size() + 1).size() == model.size());
}

// R2
TEST_CASE("pop on an empty stack returns nothing", "[36-lock-free-stack][unit][req:2]") {
  LockFreeStack stack;
  CHECK_FALSE(stack.pop().has_value());
  CHECK_FALSE(stack.pop().has_value());

  SECTION("also once the stack has been emptied again") {
    stack.push(7);
    stack.push(8);
    CHECK(stack.pop() == 8);
    CHECK(stack.pop() == 7);
    CHECK_FALSE(stack.pop().has_value());
    stack.push(9);
    CHECK(stack.pop() == 9);
    CHECK_FALSE(stack.pop().has_value());
  }
}

// R3
TEST_CASE("threads that push and pop at once pop every value exactly once", "[36-lock-free-stack][stress][req:3]") {
  const int threads = GENERATE(2, 4);
  CAPTURE(threads, kata::seed());
  constexpr int kPerThread = 1 << 20;  // value = thread * kPerThread + i
  auto stack = std::make_shared<LockFreeStack>();
  kata::FailureLog log;
  std::vector<std::vector<int>> pushed(threads), popped(threads);
  std::latch start(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      log.capture("worker", [&] {
        auto gen = kata::rng(t);
        start.arrive_and_wait();
        int next = t * kPerThread;
        kata::stress({200000, 1500ms}, [&](int) {
          // Mostly pairs, so the stack stays short and the threads meet at
          // its head; sometimes a run of pushes or pops.
          const int pushes = gen() % 8 == 0 ? 8 : 1;
          for (int i = 0; i < pushes; ++i) {
            stack->push(next);
            pushed[t].push_back(next++);
          }
          const int pops = gen() % 8 == 0 ? 8 : 1;
          for (int i = 0; i < pops; ++i)
            if (auto v = stack->pop()) popped[t].push_back(*v);
          if (gen() % 16 == 0) kata::random_pause(gen);
        });
      });
    });
  }
  REQUIRE(kata::finishes_within(20s, [&] {
    for (auto& w : workers) w.join();
  }));
  INFO(log.summary());
  REQUIRE(log.empty());
  std::vector<int> all_pushed, all_popped = drain(*stack, 100000000);
  for (int t = 0; t < threads; ++t) {
    all_pushed.insert(all_pushed.end(), pushed[t].begin(), pushed[t].end());
    all_popped.insert(all_popped.end(), popped[t].begin(), popped[t].end());
  }
  INFO(exactly_once(all_pushed, all_popped));
  CHECK(exactly_once(all_pushed, all_popped).empty());
}

// R3
TEST_CASE("values pushed by some threads are popped by others exactly once", "[36-lock-free-stack][stress][req:3]") {
  // Pushing threads only push and popping threads only pop, and they share
  // nothing but the stack until the end: what a popper reads in a node it is
  // given by the stack's own orderings, which ThreadSanitizer checks.
  CAPTURE(kata::seed());
  constexpr int kProducers = 2, kConsumers = 2, kPerProducer = 1 << 20;
  auto stack = std::make_shared<LockFreeStack>();
  kata::FailureLog log;
  std::vector<std::vector<int>> pushed(kProducers), popped(kConsumers);
  std::atomic<int> producers_left{kProducers};
  std::latch start(kProducers + kConsumers);
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      log.capture("producer", [&] {
        auto gen = kata::rng(p);
        start.arrive_and_wait();
        int next = p * kPerProducer;
        kata::stress({100000, 1000ms}, [&](int) {
          stack->push(next);
          pushed[p].push_back(next++);
          if (gen() % 64 == 0) kata::random_pause(gen);
        });
      });
      producers_left.fetch_sub(1);
    });
  }
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&, c] {
      log.capture("consumer", [&] {
        start.arrive_and_wait();
        for (;;) {
          const bool last_round = producers_left.load() == 0;  // no push after this
          auto v = stack->pop();
          if (v) {
            popped[c].push_back(*v);
          } else if (last_round) {
            break;
          }
        }
      });
    });
  }
  REQUIRE(kata::finishes_within(20s, [&] {
    for (auto& t : threads) t.join();
  }));
  INFO(log.summary());
  REQUIRE(log.empty());
  std::vector<int> all_pushed, all_popped = drain(*stack, 100000000);
  for (auto& p : pushed) all_pushed.insert(all_pushed.end(), p.begin(), p.end());
  for (auto& p : popped) all_popped.insert(all_popped.end(), p.begin(), p.end());
  INFO(exactly_once(all_pushed, all_popped));
  CHECK(exactly_once(all_pushed, all_popped).empty());
  CHECK(all_pushed.size() > 0);
}

// R3
TEST_CASE("a value pushed on one thread is popped on another", "[36-lock-free-stack][stress][req:3]") {
  // The smallest hand-over, repeated on fresh stacks: the popping thread has
  // never synchronized with the pushing one except through the stack.
  for (int round = 0; round < 200; ++round) {
    CAPTURE(round);
    auto stack = std::make_shared<LockFreeStack>();
    auto popped = kata::value_within(10s, [stack, round] {
      std::thread pusher([stack, round] {
        try {
          stack->push(round);
        } catch (...) {  // an unfinished push throws; the pop below fails the test
        }
      });
      std::optional<int> v;
      for (int tries = 0; tries < 100000000 && !v; ++tries) v = stack->pop();
      pusher.join();
      return v;
    });
    REQUIRE(popped.has_value());
    REQUIRE(*popped == std::optional<int>(round));
  }
}

// R4
TEST_CASE("a pop stopped before its compare-exchange is not fooled when its head comes back (ABA)",
          "[36-lock-free-stack][unit][req:4]") {
  // The stack is 1 (X) -> 2 (Y) -> 3 (Z). Thread A pops and stops right
  // before its compare-exchange, holding head X and next Y. Meanwhile:
  //   pop 1, pop 2             X and Y leave the stack (a naive stack frees them);
  //   push 5: its node N5      is linked to Z, and, before it is published,
  //   push 4: its node N4      goes on top: 4 -> 3;
  //   A resumes               and must not pop N4 with "next = Y".
  // A naive stack deleted X and Y, and the allocator hands their memory out
  // again, last freed first: N5 is at Y's address and N4 at X's. Head is X's
  // address again, with a different next: A's compare-exchange succeeds and
  // sets the head to Y's address, N5, which is not yet on the stack. The
  // values 1 to 5 must each come out exactly once.
  auto f = std::make_shared<Fixture>(Step::pop_read_next);
  auto* fixture = f.get();
  for (int v : {3, 2, 1}) f->stack.push(v);
  f->gate.arm();
  Background<std::optional<int>> a([f] { return f->stack.pop(); });
  REQUIRE(f->gate.wait_stopped(10s));

  struct Seen {
    std::optional<int> first, second;
    bool a_finished = false;
    std::vector<int> rest;
  };
  // Everything else on one thread, and no allocation of ours between the
  // pops and the pushes (on_push_linked is set first): the allocator's
  // reuse is what a naive stack runs into.
  Background<Seen> others([f, fixture, &a] {
    (void)f;  // keeps the fixture alive if this thread is abandoned
    Seen seen;
    fixture->on_push_linked = [fixture, &seen, &a] {
      fixture->stack.push(4);
      fixture->gate.release();
      seen.a_finished = a.finish_within(10s);
    };
    seen.first = fixture->stack.pop();
    seen.second = fixture->stack.pop();
    fixture->run_on_push_linked.store(true);
    fixture->stack.push(5);
    seen.rest = drain(fixture->stack, 20);
    return seen;
  });
  const bool others_finished = others.finish_within(10s);
  f->gate.release();
  REQUIRE(others_finished);
  const Seen seen = others.get();
  REQUIRE(seen.a_finished);
  const auto a_popped = a.get();
  CHECK(seen.first == 1);
  CHECK(seen.second == 2);
  std::vector<int> popped = seen.rest;
  for (const auto& v : {seen.first, seen.second, a_popped})
    if (v) popped.push_back(*v);
  INFO("A popped " << a_popped.value_or(-1) << "; after it the stack held " << seen.rest.size() << " values");
  INFO(exactly_once({1, 2, 3, 4, 5}, popped));
  CHECK(exactly_once({1, 2, 3, 4, 5}, popped).empty());
}

// R5
TEST_CASE("a node popped while another pop still holds it is not freed under that pop",
          "[36-lock-free-stack][unit][req:5]") {
  // Thread A pops and stops right after reading the head (X), before it
  // reads X->next. This thread pops X. When A resumes it reads X->next: if X
  // was deleted, that is a use after free (AddressSanitizer reports it).
  auto f = std::make_shared<Fixture>(Step::pop_loaded_head);
  for (int v : {2, 1}) f->stack.push(v);
  f->gate.arm();
  Background<std::optional<int>> a([f] { return f->stack.pop(); });
  REQUIRE(f->gate.wait_stopped(10s));
  Background<std::optional<int>> mine([f] { return f->stack.pop(); });
  const bool mine_finished = mine.finish_within(10s);
  f->gate.release();
  REQUIRE(mine_finished);
  REQUIRE(a.finish_within(10s));
  CHECK(mine.get() == 1);
  CHECK(a.get() == 2);
  CHECK_FALSE(f->stack.pop().has_value());
}

// R6
TEST_CASE("other threads push and pop to completion while one is stopped inside the stack",
          "[36-lock-free-stack][stress][req:6]") {
  // A thread stopped at any step of push() or pop() holds no lock, so two
  // other threads finish 2000 pushes and 1000 pops each meanwhile. Then it
  // resumes and completes too, and every value comes out exactly once: its
  // stale head does not drop or repeat what the others did.
  const Step at = GENERATE(Step::pop_loaded_head, Step::pop_read_next, Step::push_linked);
  CAPTURE(static_cast<int>(at));
  auto f = std::make_shared<Fixture>(at);
  for (int v = 1; v <= 10; ++v) f->stack.push(v);
  f->gate.arm();
  Background<std::optional<int>> a([f, at]() -> std::optional<int> {
    if (at == Step::push_linked) {
      f->stack.push(100);
      return std::nullopt;
    }
    return f->stack.pop();
  });
  REQUIRE(f->gate.wait_stopped(10s));

  struct Work {
    std::vector<int> pushed, popped;
  };
  std::vector<std::unique_ptr<Background<Work>>> others;
  for (int t = 0; t < 2; ++t) {
    others.push_back(std::make_unique<Background<Work>>([f, t] {
      Work w;
      for (int i = 0; i < 2000; ++i) {
        const int v = 1000 + t * 10000 + i;
        f->stack.push(v);
        w.pushed.push_back(v);
        if (i % 2 == 1)
          if (auto p = f->stack.pop()) w.popped.push_back(*p);
      }
      return w;
    }));
  }
  bool others_finished = true;
  for (auto& o : others) others_finished = others_finished && o->finish_within(5s);
  f->gate.release();
  INFO("the stopped thread blocks the others: a lock, or a wait for it");
  REQUIRE(others_finished);
  REQUIRE(a.finish_within(10s));

  std::vector<int> pushed, popped;
  for (int v = 1; v <= 10; ++v) pushed.push_back(v);
  if (at == Step::push_linked) pushed.push_back(100);
  if (auto v = a.get()) popped.push_back(*v);
  for (auto& o : others) {
    Work w = o->get();
    pushed.insert(pushed.end(), w.pushed.begin(), w.pushed.end());
    popped.insert(popped.end(), w.popped.begin(), w.popped.end());
  }
  auto rest = drain(f->stack, pushed.size() + 10);
  popped.insert(popped.end(), rest.begin(), rest.end());
  INFO(exactly_once(pushed, popped));
  CHECK(exactly_once(pushed, popped).empty());
}

// R7
TEST_CASE("destroying the stack frees the nodes still on it", "[36-lock-free-stack][unit][req:7]") {
  // LeakSanitizer (the asan profile) reports any node left behind at exit.
  auto stack = std::make_unique<LockFreeStack>();
  for (int v = 0; v < 1000; ++v) stack->push(v);
  for (int v = 0; v < 10; ++v) stack->pop();
  stack.reset();
  SUCCEED("destroyed with 990 values on it");
}

// R7
TEST_CASE("destroying the stack frees the nodes whose freeing was put off", "[36-lock-free-stack][unit][req:7]") {
  // Thread A pops and stops before its compare-exchange; this thread pops
  // all 100 values meanwhile. Their nodes cannot be freed while A may still
  // read them. A then finds the stack empty and leaves. Whatever is still
  // waiting to be freed, the destructor frees (LeakSanitizer checks).
  auto f = std::make_shared<Fixture>(Step::pop_read_next);
  for (int v = 1; v <= 100; ++v) f->stack.push(v);
  f->gate.arm();
  Background<std::optional<int>> a([f] { return f->stack.pop(); });
  REQUIRE(f->gate.wait_stopped(10s));
  Background<std::vector<int>> mine([f] { return drain(f->stack, 200); });
  const bool mine_finished = mine.finish_within(10s);
  f->gate.release();
  REQUIRE(mine_finished);
  REQUIRE(a.finish_within(10s));
  CHECK(mine.get().size() == 100);
  CHECK_FALSE(a.get().has_value());
  REQUIRE(f.use_count() == 1);  // both threads are joined: this is the last owner
  f.reset();
}
