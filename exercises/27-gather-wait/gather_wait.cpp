// gather_wait.cpp: build gather, gather_settled and wait (see gather_wait.hpp).
// Keep two promises: gather gives values in INPUT order and, on the first error,
// cancels the siblings and waits for them before rethrowing; wait never cancels
// a task, it only sorts them into done and pending. The primitive to use is
// asio::experimental::make_parallel_group over a std::vector of operations.
#include "gather_wait.hpp"

#include <stdexcept>
#include <utility>

#include <boost/asio/experimental/parallel_group.hpp>

namespace gather_wait {

asio::awaitable<std::vector<int>> gather(std::vector<Op> ops) {
  // TODO: start every op at once, return the values in input order; on the first error cancel the rest, then rethrow it.
  (void)ops;
  throw std::logic_error("TODO: gather");
}

asio::awaitable<std::vector<Outcome>> gather_settled(std::vector<Op> ops) {
  // TODO: run every op to its end, cancel nothing, return each value or exception in input order.
  (void)ops;
  throw std::logic_error("TODO: gather_settled");
}

asio::awaitable<WaitResult> wait(std::vector<Task> tasks, ReturnWhen when) {
  // TODO: until `when` holds, sleep until one more task is done; then report done and pending indices.
  (void)tasks, (void)when;
  throw std::logic_error("TODO: wait");
}

}  // namespace gather_wait
