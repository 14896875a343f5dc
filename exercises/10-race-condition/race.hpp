// race.hpp: a hit counter and a bank account, both shared by many threads.
// This code works with one thread and breaks with several: it loses hits and
// lets an account go below zero. Fix it so that no update is ever lost and no
// withdrawal is ever granted that the balance did not cover.
// Primitives: std::atomic for the counter, std::mutex for the account.
#pragma once

#include <atomic>
#include <mutex>

/// Counts hits from any number of threads. Safe from any thread.
class HitCounter {
 public:
  /// Adds one. No hit is lost, however many threads call it at once.
  void hit();
  /// The number of hits so far.
  long hits() const;

 private:
  // TODO: HitCounter: several threads read-modify-write this long at once.
  long hits_ = 0;
};

/// A bank account whose balance never goes below zero. Safe from any thread.
class Account {
 public:
  /// Opens the account; throws std::invalid_argument for a negative balance.
  explicit Account(long balance);
  Account(const Account&) = delete;
  Account& operator=(const Account&) = delete;

  /// Adds `amount`; throws std::invalid_argument when amount <= 0.
  void deposit(long amount);
  /// Takes `amount` out and returns true if the balance covers it, else
  /// changes nothing and returns false. The check and the change are one
  /// step: no other thread can slip in between. Throws std::invalid_argument
  /// when amount <= 0.
  bool withdraw(long amount);
  /// The balance now.
  long balance() const;

 private:
  // TODO: Account: nothing guards balance_ from threads that use it at once.
  long balance_;
};
