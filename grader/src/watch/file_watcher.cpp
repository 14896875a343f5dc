#include "watch/file_watcher.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace grader {
namespace fs = std::filesystem;

FileWatcher::FileWatcher(const std::vector<fs::path>& dirs, bool force_polling) : dirs_(dirs) {
  if (!force_polling) inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ >= 0) {
    for (const auto& dir : dirs) {
      // Editors save in place (close after write) or write a new file and
      // rename it over the old one (moved to).
      int wd = inotify_add_watch(inotify_fd_, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO);
      if (wd >= 0) dir_of_watch_[wd] = dir;
    }
    if (dir_of_watch_.empty()) {
      close(inotify_fd_);
      inotify_fd_ = -1;
    }
  }
  if (polling()) scan_changes();  // remember the current times
}

FileWatcher::~FileWatcher() {
  if (inotify_fd_ >= 0) close(inotify_fd_);
}

std::set<fs::path> FileWatcher::drain_inotify() {
  std::set<fs::path> changed;
  alignas(inotify_event) char buffer[16384];
  for (;;) {
    auto n = read(inotify_fd_, buffer, sizeof buffer);
    if (n <= 0) break;
    for (char* p = buffer; p < buffer + n;) {
      auto* event = reinterpret_cast<inotify_event*>(p);
      if (event->len > 0 && dir_of_watch_.count(event->wd)) changed.insert(dir_of_watch_[event->wd] / event->name);
      p += sizeof(inotify_event) + event->len;
    }
  }
  return changed;
}

std::set<fs::path> FileWatcher::scan_changes() {
  std::set<fs::path> changed;
  for (const auto& dir : dirs_) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (!entry.is_regular_file()) continue;
      auto t = entry.last_write_time(ec);
      auto [it, fresh] = mtimes_.emplace(entry.path(), t);
      if (!fresh && it->second != t) {
        it->second = t;
        changed.insert(entry.path());
      }
    }
  }
  return changed;
}

std::set<fs::path> FileWatcher::wait(std::chrono::milliseconds timeout, int other_fd, bool& other_ready) {
  other_ready = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    pollfd fds[2];
    int n = 0;
    if (other_fd >= 0) fds[n++] = {other_fd, POLLIN, 0};
    if (!polling()) fds[n++] = {inotify_fd_, POLLIN, 0};
    // Polling mode looks at the files twice a second.
    int wait_ms = polling() ? static_cast<int>(std::min<long>(500, left.count())) : static_cast<int>(left.count());
    poll(fds, static_cast<nfds_t>(n), wait_ms);
    if (other_fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP))) other_ready = true;

    std::set<fs::path> changed = polling() ? scan_changes() : drain_inotify();
    if (!changed.empty()) {
      // One save is often several events (write, rename, chmod): wait for the burst to end.
      usleep(150 * 1000);
      auto more = polling() ? scan_changes() : drain_inotify();
      changed.insert(more.begin(), more.end());
    }
    if (!changed.empty() || other_ready || std::chrono::steady_clock::now() >= deadline) return changed;
  }
}

}  // namespace grader
