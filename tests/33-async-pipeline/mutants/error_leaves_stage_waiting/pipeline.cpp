// pipeline.cpp: two stages and a bounded channel between them.
// The channel's capacity is the backpressure: async_send completes only once
// the item is in the buffer (or handed to a waiting receiver), so a full
// channel suspends the producer until the consumer takes something. The end of
// the stream is an item (std::nullopt), because close() would drop what is
// still buffered. A parallel group runs both stages and, if one throws,
// cancels the other and waits for it; we rethrow the first error.
#include "pipeline.hpp"

#include <exception>
#include <stdexcept>

#include <boost/asio/experimental/parallel_group.hpp>

namespace pipeline {

namespace {

// The producer stage: makes every item and sends it, then the end of the
// stream. async_send suspends while the channel is full: the consumer sets
// the pace.
asio::awaitable<void> producer_stage(Channel& channel, int count, const Produce& produce) {
  for (int i = 0; i < count; ++i) {
    const int item = co_await produce(i);
    co_await channel.async_send(boost::system::error_code{}, Item(item), asio::use_awaitable);
  }
  // The end of the stream, queued behind every item: nothing is dropped.
  co_await channel.async_send(boost::system::error_code{}, std::nullopt, asio::use_awaitable);
}

// The consumer stage: handles items in order until the end of the stream.
asio::awaitable<void> consumer_stage(Channel& channel, const Consume& consume, std::size_t& consumed) {
  for (;;) {
    const Item item = co_await channel.async_receive(asio::use_awaitable);
    if (!item) co_return;  // the end of the stream: everything before it was handled
    co_await consume(*item);
    ++consumed;
  }
}

}  // namespace

asio::awaitable<std::size_t> run_pipeline(int count, std::size_t capacity, Produce produce, Consume consume) {
  if (count < 0) {
    throw std::invalid_argument("run_pipeline: count must not be negative");
  }
  auto ex = co_await asio::this_coro::executor;
  Channel channel(ex, capacity);  // holds at most `capacity` items in flight
  std::size_t consumed = 0;

  // Both at once, as a parallel group: wait_for_one_error cancels the other
  // stage as soon as one throws (its pending send or receive ends with
  // operation_aborted), and the group completes only when both have stopped,
  // so the channel and `consumed`, in this frame, outlive them.
  // The cancelled stage fails too, later: the cause is the FIRST error in
  // completion order. (The && operator would report the left one instead.)
  auto [order, producer_error, consumer_error] =
      co_await asio::experimental::make_parallel_group(
          asio::co_spawn(ex, producer_stage(channel, count, produce), asio::deferred),
          asio::co_spawn(ex, consumer_stage(channel, consume, consumed), asio::deferred))
          .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);  // MUTANT: nobody is cancelled
  const std::exception_ptr errors[] = {producer_error, consumer_error};
  for (std::size_t stage : order) {
    if (errors[stage]) std::rethrow_exception(errors[stage]);
  }
  co_return consumed;
}

}  // namespace pipeline
