#include "run/result_channel.hpp"

#include <charconv>
#include <cstdint>
#include <stdexcept>

#include <sys/random.h>

namespace grader {

std::string new_secret() {
  unsigned char bytes[32];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    auto n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) throw std::runtime_error("getrandom failed");
    got += static_cast<std::size_t>(n);
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

std::string channel_frame(const std::string& secret, const std::string& kind, const std::string& payload) {
  return "kata-channel " + secret + " " + kind + " " + std::to_string(payload.size()) + "\n" + payload;
}

ChannelMessages read_channel(const std::string& bytes, const std::string& secret) {
  ChannelMessages out;
  const std::string intro = "kata-channel ";
  const std::string forged =
      "something in the test process wrote to the grader's result channel without the grader's secret "
      "(a forged report?)";
  std::size_t at = 0;
  while (at < bytes.size()) {
    auto eol = bytes.find('\n', at);
    if (bytes.compare(at, intro.size(), intro) != 0 || eol == std::string::npos || eol - at > 256) {
      out.problem = forged;
      return out;
    }
    std::string header = bytes.substr(at + intro.size(), eol - at - intro.size());
    auto s1 = header.find(' ');
    auto s2 = s1 == std::string::npos ? s1 : header.find(' ', s1 + 1);
    if (s2 == std::string::npos || header.substr(0, s1) != secret) {
      out.problem = forged;
      return out;
    }
    std::string kind = header.substr(s1 + 1, s2 - s1 - 1);
    std::size_t length = 0;
    auto digits = header.substr(s2 + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (ec != std::errc() || end != digits.data() + digits.size() || eol + 1 + length > bytes.size()) {
      out.problem = "the result channel ended in the middle of a report (the process died while writing it?)";
      return out;
    }
    if (out.frames.count(kind) && kind != "stacks") {
      out.problem = "the result channel carried two reports of one test (a forged report?)";
      return out;
    }
    out.frames[kind] = bytes.substr(eol + 1, length);
    at = eol + 1 + length;
  }
  return out;
}

}  // namespace grader
