// generator.hpp: build a C++20 generator, a coroutine that hands out values
// one at a time with co_yield and is read with a range-for loop.
// Keep: the body runs only while the reader asks for the next value, the
// values come in order, and the coroutine frame is destroyed exactly once, by
// ~Generator, whether the loop ran to the end or stopped early.
// Use <coroutine>: promise_type, std::suspend_always, std::coroutine_handle.
#pragma once

#include <coroutine>
#include <exception>
#include <iterator>
#include <memory>
#include <stdexcept>
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
    Generator get_return_object() {
      // TODO: Generator::promise_type::get_return_object: return a Generator
      // owning this coroutine's handle (coroutine_handle::from_promise).
      throw std::logic_error("TODO: Generator::promise_type::get_return_object");
    }

    // Lazy: the body does not start when the coroutine is called; the first
    // begin() resumes it up to its first co_yield.
    std::suspend_always initial_suspend() noexcept { return {}; }

    // Stay suspended at the end, so ~Generator can destroy the frame.
    std::suspend_always final_suspend() noexcept { return {}; }

    // co_yield v: an lvalue or a temporary; either lives in the frame until
    // the coroutine resumes, so remembering its address is enough.
    std::suspend_always yield_value(std::remove_reference_t<T>& value) {
      // TODO: Generator::promise_type::yield_value: remember where the value
      // is, then suspend (the returned awaiter does that).
      (void)value;
      throw std::logic_error("TODO: Generator::promise_type::yield_value");
    }
    std::suspend_always yield_value(std::remove_reference_t<T>&& value) { return yield_value(value); }

    void return_void() noexcept {}

    void unhandled_exception() {
      // TODO: Generator::promise_type::unhandled_exception: keep the
      // exception (std::current_exception()) for the reader to rethrow.
      throw std::logic_error("TODO: Generator::promise_type::unhandled_exception");
    }

    // A generator cannot co_await: it has nobody to resume it later.
    template <class U>
    std::suspend_never await_transform(U&&) = delete;

    const std::remove_reference_t<T>& value() const noexcept { return *current_; }

    void rethrow_if_failed() {
      // TODO: Generator::promise_type::rethrow_if_failed: rethrow the kept
      // exception, if there is one (once).
      throw std::logic_error("TODO: Generator::promise_type::rethrow_if_failed");
    }

   private:
    const std::remove_reference_t<T>* current_ = nullptr;  // the value of the last co_yield
    std::exception_ptr error_;                              // what escaped the body
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
      // TODO: Generator::iterator::operator++: run the body to its next
      // co_yield (or its end); if it ended by throwing, rethrow that.
      throw std::logic_error("TODO: Generator::iterator::operator++");
    }
    void operator++(int) { ++*this; }

    friend bool operator==(const iterator& it, std::default_sentinel_t) {
      // TODO: Generator::iterator::operator==: the sequence has ended when
      // there is no coroutine or it has run off its end.
      (void)it;
      throw std::logic_error("TODO: Generator::iterator::operator==");
    }

   private:
    std::coroutine_handle<promise_type> handle_;
  };

  Generator(Generator&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Generator& operator=(Generator&& other) noexcept {
    if (this != &other) {
      // TODO: Generator::operator=: let go of the frame this one owns first.
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  ~Generator() {
    // TODO: Generator::~Generator: destroy the frame this Generator owns,
    // wherever the body stopped. (Left empty, not throwing: a destructor
    // is noexcept.)
  }

  /// Starts the body (once) and returns an iterator at the first value.
  iterator begin() {
    // TODO: Generator::begin: resume the body up to its first co_yield (or
    // its end), rethrow what it threw, and return an iterator on it.
    throw std::logic_error("TODO: Generator::begin");
  }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  explicit Generator(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}

  std::coroutine_handle<promise_type> handle_;  // the frame this Generator owns
};

}  // namespace coro
