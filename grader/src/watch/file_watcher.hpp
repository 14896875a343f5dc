// watch: noticing saved files (inotify, or polling where inotify is missing).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <vector>

namespace grader {

/// Watches the files directly inside some directories. Confined to one thread.
class FileWatcher {
 public:
  /// `force_polling`: compare modification times every interval instead of inotify.
  FileWatcher(const std::vector<std::filesystem::path>& dirs, bool force_polling);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  bool polling() const { return inotify_fd_ < 0; }

  /// Waits up to `timeout` for saved files or for `other_fd` (e.g. stdin, -1
  /// for none) to become readable. Returns the files saved (a burst of events
  /// within 150 ms counts once); sets `other_ready`.
  std::set<std::filesystem::path> wait(std::chrono::milliseconds timeout, int other_fd, bool& other_ready);

 private:
  std::set<std::filesystem::path> drain_inotify();
  std::set<std::filesystem::path> scan_changes();

  int inotify_fd_ = -1;
  std::map<int, std::filesystem::path> dir_of_watch_;
  std::vector<std::filesystem::path> dirs_;
  std::map<std::filesystem::path, std::filesystem::file_time_type> mtimes_;
};

}  // namespace grader
