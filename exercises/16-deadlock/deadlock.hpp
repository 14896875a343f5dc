// deadlock.hpp: two classic programs that lock two things at once, built so
// that no group of threads can ever wait on each other in a circle.
// Bank moves money between accounts, each guarded by its own boost::mutex;
// Table seats dining philosophers, each needing the two forks beside them.
// Invariant: money is never created or lost, and every lock eventually comes.
// Primitives: boost::mutex, with locks taken in one global order or boost::lock.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <vector>

#include <boost/thread/mutex.hpp>

/// Thrown by Bank::transfer when the source account holds less than the amount.
class InsufficientFunds : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Accounts numbered 0 .. size() - 1, each a balance guarded by its own mutex.
/// Safe from any thread: transfers between different accounts run in parallel.
class Bank {
 public:
  /// One account per element, opened with that balance. Throws
  /// std::invalid_argument for a negative balance.
  explicit Bank(const std::vector<long>& balances);
  Bank(const Bank&) = delete;
  Bank& operator=(const Bank&) = delete;

  std::size_t size() const;

  /// Moves `amount` from account `from` to account `to`, as one step: no other
  /// thread sees the money in both accounts or in neither. Throws
  /// std::out_of_range for an unknown account, std::invalid_argument when
  /// amount <= 0, InsufficientFunds when `from` holds less than `amount`; a
  /// transfer that throws changes nothing. from == to moves nothing.
  void transfer(std::size_t from, std::size_t to, long amount);

  /// The balance of one account. Throws std::out_of_range.
  long balance(std::size_t account) const;

  /// The sum of all balances at one instant, even while transfers run.
  long total() const;

 private:
  struct Account {
    mutable boost::mutex mutex;  // guards balance
    long balance = 0;
  };
  // Sized once in the constructor and never resized: a mutex must not move.
  std::vector<Account> accounts_;
};

/// A round table of seats() philosophers and as many forks: philosopher i
/// sits between fork i and fork (i + 1) % seats() and eats with both, so
/// neighbours share a fork. Safe from any thread: each philosopher dines on
/// their own thread.
class Table {
 public:
  /// Throws std::invalid_argument when seats < 2.
  explicit Table(std::size_t seats);
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  std::size_t seats() const;

  /// Philosopher `seat` eats `meals` times: each time takes both their forks,
  /// calls eat() while holding them and puts them down, also when eat()
  /// throws (the exception then propagates and no further meal is eaten).
  /// Throws std::out_of_range for an unknown seat, std::invalid_argument when
  /// meals < 0.
  void dine(std::size_t seat, int meals, const std::function<void()>& eat);

 private:
  std::vector<boost::mutex> forks_;  // sized once, never resized
};
