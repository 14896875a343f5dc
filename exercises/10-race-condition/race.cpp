// race.cpp: the counter and the account, as a single-threaded programmer
// would write them. Every function is right for one thread; run the tests
// and watch them fail with four. Find each data race (ThreadSanitizer names
// them: ./kata check 10-race-condition --profile tsan) and each gap between a
// check and the action that depends on it, and close them.
#include "race.hpp"

#include <stdexcept>

void HitCounter::hit() {
  // TODO: HitCounter::hit: ++ is a read, an add and a write: two threads can
  // both read 5 and both write 6.
  ++hits_;
}

long HitCounter::hits() const {
  // TODO: HitCounter::hits: others may be hitting while this reads: a read
  // racing with their writes is a data race too.
  return hits_;
}

Account::Account(long balance) : balance_(balance) {
  if (balance < 0) throw std::invalid_argument("Account: negative opening balance");
}

void Account::deposit(long amount) {
  if (amount <= 0) throw std::invalid_argument("Account::deposit: amount must be positive");
  // TODO: Account::deposit: this write races with every other use of balance_.
  balance_ += amount;
}

bool Account::withdraw(long amount) {
  if (amount <= 0) throw std::invalid_argument("Account::withdraw: amount must be positive");
  // TODO: Account::withdraw: between this check and the subtraction another
  // thread can take the same money (check-then-act).
  if (balance_ < amount) return false;
  balance_ -= amount;
  return true;
}

long Account::balance() const {
  // TODO: Account::balance: a read racing with a write is a data race too.
  return balance_;
}
