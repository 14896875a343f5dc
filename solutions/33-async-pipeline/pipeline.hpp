// pipeline.hpp: a producer and a consumer, two coroutines joined by a bounded
// asio::experimental::channel, on one io_context.
// Invariants: backpressure (the producer waits while the channel is full, so
// it is never more than the capacity ahead of a slow consumer) and a clean end
// (an explicit end-of-stream item: every item produced is consumed, in order).
// An error in either stage cancels the other and ends the pipeline.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>

#include <boost/asio.hpp>
#include <boost/asio/experimental/channel.hpp>

namespace pipeline {

namespace asio = boost::asio;

/// What travels through the channel: an item, or std::nullopt for "end of
/// stream" (the producer has sent everything).
using Item = std::optional<int>;

/// A channel for one io_context thread (not for several threads: that is
/// experimental::concurrent_channel). Its close() drops the items still
/// buffered, which is why the end of the stream is an item of its own.
using Channel = asio::experimental::channel<void(boost::system::error_code, Item)>;

/// Makes item number `index` (it may wait, like a read from a socket).
using Produce = std::function<asio::awaitable<int>(int index)>;

/// Handles one item (it may wait, like a write to a slow disk).
using Consume = std::function<asio::awaitable<void>(int item)>;

/// Runs a producer stage (produce(0), ..., produce(count - 1), each result
/// sent into a channel of `capacity` items) and a consumer stage (consume()
/// on each item, in order) concurrently, and returns how many items were
/// consumed (count, when nothing failed).
/// Backpressure: while the channel is full the producer waits. End: after the
/// last item the producer sends the end of the stream, and the consumer stops
/// when it receives it, so no item is left behind.
/// Errors: if either stage throws, the other is cancelled (wherever it is
/// waiting), and run_pipeline rethrows the exception.
/// A negative count throws std::invalid_argument (when awaited).
/// Confined to the io_context's thread: co_await it from a coroutine there.
asio::awaitable<std::size_t> run_pipeline(int count, std::size_t capacity, Produce produce, Consume consume);

}  // namespace pipeline
