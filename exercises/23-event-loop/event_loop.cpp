// event_loop.cpp: build the loop. One iteration: sleep in epoll_wait() for as
// long as nothing can be due (0 if callbacks are ready, -1 if nothing is
// scheduled, else the time to the next timer ROUNDED UP); turn readable
// descriptors, expired timers and the thread-safe inbox into ready callbacks;
// run only those ready when the iteration began. Given: the constructor
// (epoll + eventfd) and the destructor.
#include "event_loop.hpp"

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace {

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

}  // namespace

bool EventLoop::RunsLater::operator()([[maybe_unused]] const Timer& a, [[maybe_unused]] const Timer& b) const {
  // TODO: EventLoop::RunsLater: true when `a` runs after `b`: a later
  // deadline, or the same deadline and scheduled later (sequence).
  throw std::logic_error("TODO: EventLoop::RunsLater");
}

EventLoop::EventLoop() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw_errno("epoll_create1");
  // Given: the wake-up channel, an eventfd in the epoll set. Writing to it
  // makes it readable, which ends an epoll_wait() the loop sleeps in.
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    ::close(epoll_fd_);
    throw_errno("eventfd");
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = wake_fd_;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) < 0) {
    ::close(wake_fd_);
    ::close(epoll_fd_);
    throw_errno("epoll_ctl(wake)");
  }
}

EventLoop::~EventLoop() {
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

Handle EventLoop::call_soon([[maybe_unused]] Callback callback) {
  // TODO: EventLoop::call_soon: wrap the callback in a shared ScheduledCallback,
  // push it at the back of ready_, return a Handle sharing it.
  throw std::logic_error("TODO: EventLoop::call_soon");
}

Handle EventLoop::call_later(Clock::duration delay, Callback callback) {
  return call_at(Clock::now() + delay, std::move(callback));
}

Handle EventLoop::call_at([[maybe_unused]] Clock::time_point when, [[maybe_unused]] Callback callback) {
  // TODO: EventLoop::call_at: push a Timer{when, next_sequence_++, ...} on timers_.
  throw std::logic_error("TODO: EventLoop::call_at");
}

Handle EventLoop::call_soon_threadsafe([[maybe_unused]] Callback callback) {
  // TODO: EventLoop::call_soon_threadsafe: push into threadsafe_ under its
  // mutex, then write 1 (a std::uint64_t) to wake_fd_ so a sleeping loop wakes.
  throw std::logic_error("TODO: EventLoop::call_soon_threadsafe");
}

void EventLoop::add_reader([[maybe_unused]] int fd, [[maybe_unused]] Callback callback) {
  // TODO: EventLoop::add_reader: epoll_ctl ADD (or MOD if fd is known) with
  // EPOLLIN and data.fd = fd; remember the callback in readers_.
  throw std::logic_error("TODO: EventLoop::add_reader");
}

bool EventLoop::remove_reader([[maybe_unused]] int fd) {
  // TODO: EventLoop::remove_reader: forget the callback, epoll_ctl DEL.
  throw std::logic_error("TODO: EventLoop::remove_reader");
}

int EventLoop::wait_timeout_ms() const {
  // TODO: EventLoop::wait_timeout_ms: 0 if ready_ is not empty; -1 if there
  // is no timer; else the time to the earliest deadline, rounded UP to ms
  // (std::chrono::ceil), at least 0.
  throw std::logic_error("TODO: EventLoop::wait_timeout_ms");
}

void EventLoop::run_once() {
  // TODO: EventLoop::run_once: epoll_wait(wait_timeout_ms()); for wake_fd_
  // read the counter; for a reader's fd queue a callback that calls the
  // reader (if still registered); move the threadsafe_ inbox into ready_;
  // move every timer with when <= now into ready_; then run exactly the
  // callbacks that are ready now, skipping cancelled ones.
  throw std::logic_error("TODO: EventLoop::run_once");
}

void EventLoop::run_forever() {
  run_until([] { return false; });
}

void EventLoop::run_until([[maybe_unused]] std::function<bool()> done) {
  // TODO: EventLoop::run_until: until done() holds, run_once(); return early
  // after an iteration in which stop() was called (and clear that request).
  throw std::logic_error("TODO: EventLoop::run_until");
}

void EventLoop::stop() {
  // TODO: EventLoop::stop: ask run_forever()/run_until() to return after
  // this iteration.
  throw std::logic_error("TODO: EventLoop::stop");
}
