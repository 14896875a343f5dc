// generator.hpp: a C++20 generator, a coroutine that hands out values one at
// a time with co_yield and is read with a range-for loop.
// Invariant: the body runs only while the reader asks for the next value, the
// values come in order, and the coroutine frame is destroyed exactly once, by
// ~Generator, whether the loop ran to the end or stopped early.
// Built from <coroutine>: a promise_type, suspend_always and coroutine_handle.
#pragma once

#include <coroutine>
#include <exception>
#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>

namespace coro {

/// A lazy sequence of T produced by a coroutine that uses co_yield.
/// Move-only; confined to one thread (the one that reads it).
template <class T>
class Generator {
 public:
  class promise_type {
   public:
    Generator get_return_object() noexcept {
      // The coroutine's caller receives the Generator, which owns the frame.
      return Generator(std::coroutine_handle<promise_type>::from_promise(*this));
    }

    // Lazy: the body does not start when the coroutine is called; the first
    // begin() resumes it up to its first co_yield.
    std::suspend_never initial_suspend() noexcept { return {}; }  // MUTANT: eager

    // Stay suspended at the end, so ~Generator can destroy the frame (a
    // frame that destroys itself would leave the Generator with a dangling handle).
    std::suspend_always final_suspend() noexcept { return {}; }

    // co_yield v: remember where v is (it lives in the frame until the
    // coroutine resumes), then suspend and hand control back to the reader.
    std::suspend_always yield_value(std::remove_reference_t<T>& value) noexcept {
      current_ = std::addressof(value);
      return {};
    }
    std::suspend_always yield_value(std::remove_reference_t<T>&& value) noexcept {
      current_ = std::addressof(value);
      return {};
    }

    void return_void() noexcept {}

    // An exception escaping the body: keep it; the reader's begin() or ++
    // rethrows it after the resume() that ran into it.
    void unhandled_exception() noexcept { error_ = std::current_exception(); }

    // A generator cannot co_await: it has nobody to resume it later.
    template <class U>
    std::suspend_never await_transform(U&&) = delete;

    const std::remove_reference_t<T>& value() const noexcept { return *current_; }

    void rethrow_if_failed() {
      if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    }

   private:
    const std::remove_reference_t<T>* current_ = nullptr;
    std::exception_ptr error_;
  };

  /// An input iterator: ++ resumes the coroutine to its next co_yield.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using difference_type = std::ptrdiff_t;
    using value_type = std::remove_cvref_t<T>;
    using reference = const std::remove_reference_t<T>&;
    using pointer = const std::remove_reference_t<T>*;

    iterator() noexcept = default;
    explicit iterator(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}

    reference operator*() const noexcept { return handle_.promise().value(); }
    pointer operator->() const noexcept { return std::addressof(operator*()); }

    iterator& operator++() {
      // Run the body to its next co_yield (or to its end); then pass on what
      // it threw, if it threw.
      handle_.resume();
      if (handle_.done()) handle_.promise().rethrow_if_failed();
      return *this;
    }
    void operator++(int) { ++*this; }

    // The sequence has ended when the body has run off its end (final_suspend).
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
      return !it.handle_ || it.handle_.done();
    }

   private:
    std::coroutine_handle<promise_type> handle_;
  };

  Generator(Generator&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Generator& operator=(Generator&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // The one owner destroys the frame, wherever the body stopped: at its end,
  // at a co_yield (the reader broke out of the loop), or before it started.
  // destroy() runs the destructors of the locals alive at that point.
  ~Generator() {
    if (handle_) handle_.destroy();
  }

  /// Starts the body (once) and returns an iterator at the first value.
  iterator begin() {
    if (handle_) {
      handle_.resume();
      if (handle_.done()) handle_.promise().rethrow_if_failed();
    }
    return iterator(handle_);
  }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  explicit Generator(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}

  std::coroutine_handle<promise_type> handle_;
};

}  // namespace coro
