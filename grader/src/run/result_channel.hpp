// run: the result channel, how a test process tells the grader its results
// without a file whose path the learner's code could find and write.
//
// The grader starts the test with a fresh secret readable once on fd 3 and a
// pipe on fd 4. The test harness (tests/support/main.cpp) takes the secret
// before any learner code runs (its .preinit_array entry, linked first),
// closes fd 3, and at the end writes each message as a frame:
//
//   kata-channel <secret> <kind> <length>\n<length bytes>
//
// Kinds: "report" (Catch2's XML), "report-cut", "list" (the test names) and
// "stacks" (a hang the test detected: take the stacks now; may repeat).
// A frame without the secret, bytes between frames, or two reports mean that
// something else wrote to the channel: the verdict says so.
#pragma once

#include <map>
#include <string>

namespace grader {

/// 64 hex digits from the kernel's random source.
std::string new_secret();

struct ChannelMessages {
  std::map<std::string, std::string> frames;  // kind -> payload
  std::string problem;                        // "" when every byte was a frame with the secret
};

ChannelMessages read_channel(const std::string& bytes, const std::string& secret);

/// The frame the harness writes (here for the grader's own tests).
std::string channel_frame(const std::string& secret, const std::string& kind, const std::string& payload);

}  // namespace grader
