// run: whether the machine's cores are idle enough for one more test process.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>

namespace grader {

/// Reads the machine's CPU time (/proc/stat) between calls. Most tests wait
/// (on sleeps, timeouts, sockets); while the cores idle, another test may run
/// beside them without taking CPU from the ones that need it.
class IdleCores {
 public:
  struct Sample {
    std::uint64_t busy = 0, total = 0;  // clock ticks, all cores
  };

  explicit IdleCores(std::filesystem::path stat = "/proc/stat", double most_busy = 0.5,
                     std::chrono::milliseconds interval = std::chrono::milliseconds(250));

  /// True when, since the last sample at least `interval` ago, the cores were
  /// busy less than `most_busy` of the time (niced work, which yields to
  /// tests, not counted). False sooner than that: one more
  /// test per interval at most, so the next answer sees what it added.
  bool another_fits();

  /// The first line of /proc/stat, read as busy and total time; nullopt when unreadable.
  static std::optional<Sample> parse(const std::string& stat_text);

 private:
  std::filesystem::path stat_;
  double most_busy_;
  std::chrono::milliseconds interval_;
  std::optional<Sample> last_;
  std::chrono::steady_clock::time_point last_at_{};
};

}  // namespace grader
