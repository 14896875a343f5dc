#include "run/idle_cores.hpp"

#include <sstream>
#include <string>

#include "text_file.hpp"

namespace grader {

IdleCores::IdleCores(std::filesystem::path stat, double most_busy, std::chrono::milliseconds interval)
    : stat_(std::move(stat)), most_busy_(most_busy), interval_(interval) {}

std::optional<IdleCores::Sample> IdleCores::parse(const std::string& stat_text) {
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice";
  // guest time is counted in user already. Niced time counts as idle: it is
  // the build beside the tests (ProcessSpec::background), or other work that
  // yields the cores to any test that wants them.
  std::istringstream in(stat_text);
  std::string label;
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(in >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq) || label != "cpu") return std::nullopt;
  in >> steal;
  Sample s;
  s.busy = user + system + irq + softirq + steal;
  s.total = s.busy + nice + idle + iowait;
  return s;
}

bool IdleCores::another_fits() {
  const auto now = std::chrono::steady_clock::now();
  if (last_ && now - last_at_ < interval_) return false;
  auto sample = parse(read_text_file(stat_));
  if (!sample) return false;
  const auto previous = last_;
  last_ = sample;
  last_at_ = now;
  if (!previous || sample->total <= previous->total) return false;
  const double busy = double(sample->busy - previous->busy) / double(sample->total - previous->total);
  return busy < most_busy_;
}

}  // namespace grader
