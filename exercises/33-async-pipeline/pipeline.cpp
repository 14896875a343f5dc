// pipeline.cpp: build run_pipeline (see pipeline.hpp): a producer coroutine and
// a consumer coroutine joined by a Channel of `capacity` items.
// Keep backpressure (the producer co_awaits async_send, which waits while the
// channel is full) and a clean end (send std::nullopt after the last item: the
// channel's close() drops buffered items). Run both stages in an
// experimental::make_parallel_group with wait_for_one_error().
#include "pipeline.hpp"

#include <stdexcept>

#include <boost/asio/experimental/parallel_group.hpp>

namespace pipeline {

asio::awaitable<std::size_t> run_pipeline(int count, std::size_t capacity, Produce produce, Consume consume) {
  // TODO: make a Channel of `capacity`; producer: send produce(i) for each i, then the end marker; consumer: consume items until the marker; run both in a parallel group (one error cancels the other; rethrow the first); return the count consumed.
  (void)count, (void)capacity, (void)produce, (void)consume;
  throw std::logic_error("TODO: run_pipeline");
}

}  // namespace pipeline
