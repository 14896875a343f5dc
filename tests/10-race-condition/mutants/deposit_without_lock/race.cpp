// race.cpp: the counter and the account, fixed.
// A data race is two threads touching one memory location at once, at least
// one of them writing, with nothing ordering them: undefined behaviour, and in
// practice lost updates. A race condition is a wrong result that depends on
// timing: here, a check whose answer is stale by the time the thread acts on it.
#include "race.hpp"

#include <stdexcept>

void HitCounter::hit() {
  // fetch_add: read, add and write as one indivisible step. (++hits_ on the
  // atomic is the same call; `hits_ = hits_ + 1` would be two steps again.)
  hits_.fetch_add(1);
}

long HitCounter::hits() const { return hits_.load(); }

Account::Account(long balance) : balance_(balance) {
  if (balance < 0) throw std::invalid_argument("Account: negative opening balance");
}

void Account::deposit(long amount) {
  if (amount <= 0) throw std::invalid_argument("Account::deposit: amount must be positive");
  // A write that races with any other access is a data race, even `+=` on a
  // long: it is a load, an add and a store, and another thread's store can
  // land in between and be overwritten.
  balance_ += amount;  // MUTANT: an unlocked write racing with locked ones
}

bool Account::withdraw(long amount) {
  if (amount <= 0) throw std::invalid_argument("Account::withdraw: amount must be positive");
  // Check and act under one lock: while we hold it, no other thread can
  // take the money we just saw. Checking under one lock and subtracting
  // under another (or calling balance() and then locking) reopens the gap.
  std::lock_guard guard(mutex_);
  if (balance_ < amount) return false;
  balance_ -= amount;
  return true;
}

long Account::balance() const {
  // Reads need the lock too: a read racing with a write is a data race.
  std::lock_guard guard(mutex_);
  return balance_;
}
