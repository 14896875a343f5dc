// isolation.hpp: run jobs in forked worker processes, like Python's
// multiprocessing.Process with a Pipe. A child gets a copy of the parent's
// memory (copy-on-write): what it writes there stays in the child. The only
// way back is a channel: here, the pipe each worker writes its answer into.
// Invariant: every worker is reaped before these functions return or throw.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace isolation {

/// A job to run in a worker process. It runs in the child, after fork():
/// it sees a snapshot of the parent's memory and may change it freely.
using Job = std::function<std::string()>;

/// A worker did not deliver an answer: its job threw (what() holds the
/// exception's message), it exited with a non-zero code, or a signal killed it.
struct WorkerFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Runs job() in one forked child and returns the string it returned, sent
/// back through a pipe. Throws WorkerFailed as described above.
std::string run_in_child(const Job& job);

/// Runs every job in its own child, all at the same time, and returns their
/// answers in the order of `jobs`. Every child is reaped, even when one
/// fails; then the first failure (in input order) is thrown as WorkerFailed.
std::vector<std::string> run_in_children(const std::vector<Job>& jobs);

}  // namespace isolation
