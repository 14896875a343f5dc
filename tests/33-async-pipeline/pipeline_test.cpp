// Tests of 33-async-pipeline: a producer and a consumer joined by a bounded
// channel. They check order and completeness (every item produced before the
// end of the stream is consumed, in order), backpressure (the producer is
// never more than the capacity ahead of a slow consumer), and that an error
// in either stage ends the pipeline instead of leaving the other one waiting.
//
// The stages are simulated: a slow consumer sleeps on a steady_timer per
// item. The Stages class counts, as the pipeline runs, how many items have
// been produced and consumed, so the producer's lead is measured in items,
// never in time. Everything runs on one io_context in the main thread;
// run() bounds each test with ctx.run_for(5s) (kata/asio_test.hpp).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kata/asio_test.hpp"
#include "kata/test.hpp"
#include "pipeline.hpp"

namespace {

using namespace pipeline;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

/// The lab: an io_context and run().
class Lab {
 public:
  asio::io_context ctx;

  /// Runs `body` on the io_context until it has finished (at most 5 s) and
  /// returns what it returned, or rethrows what it threw.
  template <class T>
  T run(asio::awaitable<T> body) {
    return kata::run_coroutine(ctx, std::move(body), "run_pipeline did not finish within 5 s: a stage waits forever");
  }
};

/// The test's stages and what they saw. Item i is i * 10.
struct Stages {
  int produced = 0;               // produce() calls so far
  int consumed = 0;               // consume() calls that have finished
  int max_lead = 0;               // the most produced - consumed seen at a produce() call
  std::vector<int> items;         // what the consumer got, in order
  milliseconds consume_delay{0};  // the consumer's time per item
  milliseconds produce_delay{0};  // the producer's time per odd item
  int fail_at_index = -1;         // produce(i) throws for this i
  int fail_at_item = -1;          // consume(item) throws for this item

  Produce producer() {
    return [this](int index) -> asio::awaitable<int> {
      ++produced;
      max_lead = std::max(max_lead, produced - consumed);
      if (index == fail_at_index) throw std::runtime_error("bad source");
      if (produce_delay > 0ms && index % 2 == 1) co_await kata::async_sleep(produce_delay);
      co_return index * 10;
    };
  }

  Consume consumer() {
    return [this](int item) -> asio::awaitable<void> {
      if (item == fail_at_item) throw std::runtime_error("bad sink");
      if (consume_delay > 0ms) co_await kata::async_sleep(consume_delay);
      items.push_back(item);
      ++consumed;
    };
  }
};

std::vector<int> first_items(int count) {
  std::vector<int> all;
  for (int i = 0; i < count; ++i) all.push_back(i * 10);
  return all;
}

std::string message_of(Lab& lab, asio::awaitable<std::size_t> body) {
  try {
    lab.run(std::move(body));
  } catch (const std::exception& e) {
    return e.what();
  }
  return "run_pipeline returned without throwing";
}

}  // namespace

TEST_CASE("every item reaches the consumer, in order", "[33-async-pipeline][req:1][unit]") {
  Lab lab;
  Stages stages;
  stages.consume_delay = 2ms;
  stages.produce_delay = 1ms;
  REQUIRE(lab.run(run_pipeline(20, 3, stages.producer(), stages.consumer())) == 20);
  CHECK(stages.items == first_items(20));
}

TEST_CASE("a slow consumer holds the producer back to the channel's capacity", "[33-async-pipeline][req:2][unit]") {
  Lab lab;
  Stages stages;
  stages.consume_delay = 10ms;
  constexpr int kCapacity = 4;
  REQUIRE(lab.run(run_pipeline(30, kCapacity, stages.producer(), stages.consumer())) == 30);
  CAPTURE(stages.max_lead, kCapacity);
  INFO("lead = items produced - items consumed; at most the capacity, plus one in the consumer's hands, plus the "
       "one being produced");
  CHECK(stages.max_lead <= kCapacity + 2);
  INFO("a fast producer fills the channel: the buffer is there to be used");
  CHECK(stages.max_lead >= kCapacity);
  CHECK(stages.items == first_items(30));
}

TEST_CASE("a channel of capacity zero hands each item over directly", "[33-async-pipeline][req:2][unit]") {
  Lab lab;
  Stages stages;
  stages.consume_delay = 5ms;
  REQUIRE(lab.run(run_pipeline(10, 0, stages.producer(), stages.consumer())) == 10);
  CHECK(stages.max_lead <= 2);
  CHECK(stages.items == first_items(10));
}

TEST_CASE("items still buffered when the producer finishes are all consumed", "[33-async-pipeline][req:3][unit]") {
  // The producer is done long before the slow consumer: at the end of the
  // stream the channel still holds most of the items.
  Lab lab;
  Stages stages;
  stages.consume_delay = 5ms;
  REQUIRE(lab.run(run_pipeline(12, 12, stages.producer(), stages.consumer())) == 12);
  INFO("closing the channel drops what it still buffers: send an end-of-stream item instead");
  CHECK(stages.items == first_items(12));
}

TEST_CASE("a consumer that throws ends the pipeline and stops the producer", "[33-async-pipeline][req:4][unit]") {
  Lab lab;
  Stages stages;
  stages.fail_at_item = 50;
  REQUIRE(message_of(lab, run_pipeline(100, 2, stages.producer(), stages.consumer())) == "bad sink");
  CAPTURE(stages.produced);
  INFO("the producer, waiting on a full channel, must be cancelled, not left to produce the rest");
  CHECK(stages.produced <= 5 + 2 + 2);
  CHECK(stages.items == first_items(5));
}

TEST_CASE("a producer that throws ends the pipeline and stops the consumer", "[33-async-pipeline][req:4][unit]") {
  Lab lab;
  Stages stages;
  stages.fail_at_index = 3;
  stages.consume_delay = 5ms;
  REQUIRE(message_of(lab, run_pipeline(10, 4, stages.producer(), stages.consumer())) == "bad source");
  CHECK(stages.produced == 4);
  CHECK(stages.consumed <= 3);
}

TEST_CASE("a pipeline of no items returns 0 at once", "[33-async-pipeline][req:1][unit]") {
  Lab lab;
  Stages stages;
  REQUIRE(lab.run(run_pipeline(0, 2, stages.producer(), stages.consumer())) == 0);
  CHECK(stages.produced == 0);
  CHECK(stages.items.empty());
}

TEST_CASE("a negative count is rejected with invalid_argument", "[33-async-pipeline][req:1][unit]") {
  Lab lab;
  Stages stages;
  std::string what;
  try {
    lab.run(run_pipeline(-1, 2, stages.producer(), stages.consumer()));
  } catch (const std::invalid_argument&) {
    what = "invalid_argument";
  } catch (const std::exception& e) {
    what = e.what();
  }
  REQUIRE(what == "invalid_argument");
  CHECK(stages.produced == 0);
}

TEST_CASE("when the consumer fails first, its error is rethrown even if the cancelled producer fails with its own",
          "[33-async-pipeline][req:4][unit]") {
  // Two failures, one after the other: the consumer throws while the producer
  // is busy producing; the producer, cancelled, reports its interrupted work
  // as an error of its own (not operation_aborted). The error that happened
  // first is the consumer's: that is the one run_pipeline rethrows.
  Lab lab;
  int consumed = 0;
  bool producer_interrupted = false;
  Produce produce = [&](int index) -> asio::awaitable<int> {
    if (index >= 2) {
      try {
        co_await kata::async_sleep(2000ms);  // a slow source
      } catch (const boost::system::system_error&) {
        producer_interrupted = true;
        throw std::runtime_error("source interrupted");
      }
    }
    co_return index * 10;
  };
  Consume consume = [&](int item) -> asio::awaitable<void> {
    if (item == 10) throw std::runtime_error("bad sink");
    ++consumed;
    co_return;
  };
  const auto start = kata::Clock::now();
  const std::string what = message_of(lab, run_pipeline(10, 4, produce, consume));
  const auto took_ms = kata::ms_since(start);
  CAPTURE(took_ms);
  CHECK(what == "bad sink");
  CHECK(consumed == 1);
  INFO("the producer must be cancelled when the consumer fails, wherever it waits (here in produce())");
  CHECK(producer_interrupted);
  CHECK(took_ms < 1500);
}

TEST_CASE("a consumer that fails after the producer has finished still fails the pipeline",
          "[33-async-pipeline][req:3][req:4][unit]") {
  // The producer ends first, without an error; the consumer, still working
  // through the buffered items, throws on the last one. That error is the
  // pipeline's outcome, though the stage that finished first did not fail.
  Lab lab;
  Stages stages;
  stages.consume_delay = 5ms;
  stages.fail_at_item = 70;
  REQUIRE(message_of(lab, run_pipeline(8, 8, stages.producer(), stages.consumer())) == "bad sink");
  CHECK(stages.produced == 8);
  CHECK(stages.items == first_items(7));
}
