// cpu_vs_io.hpp: two kinds of work and the right way to run each.
// IO-bound: blocking calls that mostly wait; run them all at once, a thread each.
// CPU-bound: a reduction that keeps a core busy; split it over K threads.
// And a table: which executor suits which kind of task, in CPython and in C++.
// Invariant: the same results as running everything one by one, in input order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

/// A blocking call: waits for something outside the CPU (a socket, a disk, a
/// timer), then returns a value. It does not throw.
using BlockingCall = std::function<int()>;

/// Runs every call at the same time, each on its own thread, and returns once
/// all have returned, with their results in input order. The wall time is about
/// that of the longest call, not the sum of all of them.
/// Thread safety: safe from any thread; the calls run on threads it starts.
std::vector<int> run_all_at_once(const std::vector<BlockingCall>& calls);

/// Reduces one contiguous chunk of the data to a partial result. Called from
/// several threads at the same time, so it must be safe to call concurrently.
/// It does not throw.
using ChunkSum = std::function<std::uint64_t(std::span<const std::uint64_t>)>;

/// Splits `data` into `k` contiguous chunks, in order, whose sizes differ by at
/// most 1 (some are empty when k > data.size()), calls chunk_sum once per chunk,
/// each on its own thread (k new threads, all running at once), and returns the
/// sum of the k partial results. Throws std::invalid_argument when k == 0.
/// Thread safety: safe from any thread.
std::uint64_t parallel_sum(std::span<const std::uint64_t> data, std::size_t k, const ChunkSum& chunk_sum);

/// What a task spends its time on.
enum class TaskKind {
  cpu_bound,    ///< computing: the CPU is the bottleneck (hashing, parsing, maths)
  async_io,     ///< waiting, through an API that does not block (sockets with asyncio or Asio)
  blocking_io,  ///< waiting inside a call that blocks its thread (a blocking driver, file I/O)
};

/// Where the task's code runs.
enum class Runtime {
  cpython,  ///< CPython: the GIL lets one thread at a time run Python bytecode
  cpp,      ///< C++: every thread can run on its own core
};

/// The three ways a program gets more than one thing done at a time.
enum class Executor {
  event_loop,    ///< one thread switching between waiting tasks (asyncio, boost::asio::io_context)
  thread_pool,   ///< several threads in one process (ThreadPoolExecutor, boost::asio::thread_pool)
  process_pool,  ///< several processes, each with its own memory (ProcessPoolExecutor, multiprocessing.Pool)
};

/// The executor that suits `kind` in `runtime`: the one that gives parallelism
/// to CPU-bound work and cheap concurrency to IO-bound work. Pure function.
Executor pick_executor(TaskKind kind, Runtime runtime);
