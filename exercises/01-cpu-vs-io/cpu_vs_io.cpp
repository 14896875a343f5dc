// cpu_vs_io.cpp: run IO-bound calls concurrently and CPU-bound work in parallel.
// Keep: results in input order, every element summed exactly once, and every
// thread you start joined before you return (std::thread or std::jthread).
// Let each thread write only its own slot of a results vector: no lock needed.
#include "cpu_vs_io.hpp"

#include <numeric>
#include <stdexcept>
#include <thread>

std::vector<int> run_all_at_once([[maybe_unused]] const std::vector<BlockingCall>& calls) {
  // TODO: run_all_at_once: start one thread per call (thread i stores calls[i]()
  // in results[i]), and only then join them all.
  throw std::logic_error("TODO: run_all_at_once");
}

std::uint64_t parallel_sum([[maybe_unused]] std::span<const std::uint64_t> data, [[maybe_unused]] std::size_t k,
                           [[maybe_unused]] const ChunkSum& chunk_sum) {
  // TODO: parallel_sum: reject k == 0; cut data into k contiguous chunks whose
  // sizes differ by at most 1; start k threads (one chunk_sum call each), join
  // them all, then add up the k partial results.
  throw std::logic_error("TODO: parallel_sum");
}

Executor pick_executor([[maybe_unused]] TaskKind kind, [[maybe_unused]] Runtime runtime) {
  // TODO: pick_executor: CPU-bound work needs parallelism (which executor gives
  // it in CPython, with the GIL, and which in C++?); IO-bound work needs only
  // concurrency (which is cheapest for waits that do not block a thread, and
  // which for calls that do?).
  throw std::logic_error("TODO: pick_executor");
}
