// event_loop.cpp: the loop. Each iteration (asyncio's _run_once) does three
// things: sleep in epoll_wait() exactly as long as nothing can be due; turn
// what happened (readable descriptors, expired timers, callbacks from other
// threads) into ready callbacks; run the callbacks that were ready when the
// iteration began. Callbacks those schedule wait for the next iteration, so
// a callback that keeps rescheduling itself cannot starve I/O or timers.
#include "event_loop.hpp"

#include <cerrno>
#include <system_error>
#include <utility>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace {

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

}  // namespace

bool EventLoop::RunsLater::operator()(const Timer& a, const Timer& b) const {
  // Earlier deadline first; for equal deadlines, the one scheduled first.
  // Without the sequence the heap would order ties arbitrarily.
  if (a.when != b.when) return a.when > b.when;
  return a.sequence > b.sequence;
}

EventLoop::EventLoop() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw_errno("epoll_create1");
  // The wake-up channel: writing to the eventfd makes it readable, which ends
  // an epoll_wait() that another thread is sleeping in.
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    ::close(epoll_fd_);
    throw_errno("eventfd");
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = wake_fd_;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) < 0) {
    // LCOV_EXCL_START: adding a fresh eventfd to a fresh epoll set fails only when the kernel is out of memory
    ::close(wake_fd_);
    ::close(epoll_fd_);
    throw_errno("epoll_ctl(wake)");
    // LCOV_EXCL_STOP: end of the out-of-memory path
  }
}

EventLoop::~EventLoop() {
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

Handle EventLoop::call_soon(Callback callback) {
  auto scheduled = std::make_shared<ScheduledCallback>();
  scheduled->callback = std::move(callback);
  ready_.push_back(scheduled);  // FIFO: at the back, run from the front
  return Handle(std::move(scheduled));
}

Handle EventLoop::call_later(Clock::duration delay, Callback callback) {
  return call_at(Clock::now() + delay, std::move(callback));
}  // LCOV_EXCL_LINE: clang counts here only the cleanup for call_at throwing, which it does only when memory runs out

Handle EventLoop::call_at(Clock::time_point when, Callback callback) {
  auto scheduled = std::make_shared<ScheduledCallback>();
  scheduled->callback = std::move(callback);
  timers_.push(Timer{when, next_sequence_++, scheduled});
  return Handle(std::move(scheduled));
}

Handle EventLoop::call_soon_threadsafe(Callback callback) {
  auto scheduled = std::make_shared<ScheduledCallback>();
  scheduled->callback = std::move(callback);
  bool was_empty;
  {
    // ready_ belongs to the loop's thread: another thread leaves the callback
    // in a locked inbox that the loop empties each iteration.
    std::lock_guard guard(threadsafe_mutex_);
    was_empty = threadsafe_.empty();
    threadsafe_.push_back(scheduled);
  }
  // The loop may be asleep in epoll_wait() with a long (or no) timeout: the
  // inbox alone would wait there. Make the eventfd readable to wake it.
  // Only the call that finds the inbox empty needs to: it writes after its
  // push, and the loop empties the whole inbox once it wakes; a later call
  // finding it non-empty knows that a wake-up is already on its way, and
  // skips a system call.
  if (was_empty) {
    const std::uint64_t one = 1;
    while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
  }
  return Handle(std::move(scheduled));
}

void EventLoop::add_reader(int fd, Callback callback) {
  epoll_event event{};
  event.events = EPOLLIN;  // level-triggered: reported while data is waiting
  event.data.fd = fd;
  const bool known = readers_.count(fd) != 0;
  if (::epoll_ctl(epoll_fd_, known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event) < 0) throw_errno("epoll_ctl(add)");
  readers_[fd] = std::move(callback);
}

bool EventLoop::remove_reader(int fd) {
  if (readers_.erase(fd) == 0) return false;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);  // fails harmlessly if fd was closed already
  return true;
}

int EventLoop::wait_timeout_ms() const {
  if (!ready_.empty() || stopping_) return 0;  // work to do now: just look
  if (timers_.empty()) return -1;              // nothing scheduled: sleep until I/O or a wake-up
  const auto left = timers_.top().when - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  // Round UP to whole milliseconds: rounding down wakes before the deadline
  // (the timer is then not due yet, and the loop would spin until it is).
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::min<long long>(ms, 24 * 3600 * 1000));
}

void EventLoop::run_once() {
  epoll_event events[64];
  const int timeout_ms = wait_timeout_ms();
  // With work due now (timeout 0) and no descriptor watched, epoll_wait()
  // could report only the wake-up eventfd, and the inbox is read below
  // anyway: skip the system call, which would cost more than a callback.
  // (The eventfd stays readable; the next real wait just returns at once.)
  const int n = timeout_ms == 0 && readers_.empty() ? 0 : ::epoll_wait(epoll_fd_, events, 64, timeout_ms);
  if (n < 0 && errno != EINTR) throw_errno("epoll_wait");
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (fd == wake_fd_) {
      std::uint64_t count;
      (void)::read(wake_fd_, &count, sizeof count);  // reset the counter
      continue;
    }
    // The reader is looked up when it runs, not now: an earlier callback of
    // this iteration may remove it.
    auto scheduled = std::make_shared<ScheduledCallback>();
    scheduled->callback = [this, fd] {
      auto it = readers_.find(fd);
      if (it != readers_.end()) {
        Callback callback = it->second;  // a copy: the callback may remove itself
        callback();
      }
    };
    ready_.push_back(std::move(scheduled));
  }
  {
    std::lock_guard guard(threadsafe_mutex_);
    for (auto& scheduled : threadsafe_) ready_.push_back(std::move(scheduled));
    threadsafe_.clear();  // empty again: the next call_soon_threadsafe wakes us
  }
  // Every timer whose deadline has come, earliest (then first scheduled) first.
  const auto now = Clock::now();
  while (!timers_.empty() && timers_.top().when <= now) {
    ready_.push_back(timers_.top().scheduled);
    timers_.pop();
  }
  // Run only what is ready now; callbacks scheduled meanwhile wait a turn.
  for (std::size_t todo = ready_.size(); todo > 0; --todo) {
    auto scheduled = std::move(ready_.front());
    ready_.pop_front();
    if (!scheduled->cancelled) scheduled->callback();
  }
}

void EventLoop::run_forever() {
  run_until([] { return false; });
}

void EventLoop::run_until(std::function<bool()> done) {
  stopping_ = false;
  while (!done()) {
    run_once();
    if (stopping_) break;
  }
  stopping_ = false;
}

void EventLoop::stop() { stopping_ = true; }
