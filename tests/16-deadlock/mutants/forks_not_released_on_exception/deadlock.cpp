// deadlock.cpp: transfers and dining philosophers that cannot deadlock.
// A deadlock needs all four Coffman conditions: mutual exclusion, hold and
// wait, no preemption, circular wait. Bank breaks circular wait by taking
// account locks in one global order (by account number); Table breaks hold
// and wait with boost::lock, which never blocks while holding a fork.
#include "deadlock.hpp"

#include <algorithm>
#include <string>

#include <boost/thread/lock_algorithms.hpp>
#include <boost/thread/lock_guard.hpp>
#include <boost/thread/lock_types.hpp>

namespace {

void check_index(std::size_t index, std::size_t size, const char* what) {
  if (index >= size) {
    throw std::out_of_range(std::string(what) + ": no account " + std::to_string(index));
  }
}

}  // namespace

// ------------------------------------------------------------------- Bank

Bank::Bank(const std::vector<long>& balances) : accounts_(balances.size()) {
  for (std::size_t i = 0; i < balances.size(); ++i) {
    if (balances[i] < 0) throw std::invalid_argument("Bank: negative opening balance");
    accounts_[i].balance = balances[i];
  }
}

std::size_t Bank::size() const { return accounts_.size(); }

void Bank::transfer(std::size_t from, std::size_t to, long amount) {
  check_index(from, accounts_.size(), "Bank::transfer");
  check_index(to, accounts_.size(), "Bank::transfer");
  if (amount <= 0) throw std::invalid_argument("Bank::transfer: amount must be positive");

  if (from == to) {
    // One account has one mutex, and boost::mutex is not recursive: locking
    // it a second time from the same thread would wait for ourselves forever.
    boost::lock_guard<boost::mutex> guard(accounts_[from].mutex);
    if (accounts_[from].balance < amount) throw InsufficientFunds("Bank::transfer: insufficient funds");
    return;
  }

  // Lock ordering: every thread takes the lower-numbered account first. Then
  // no thread ever waits for a lower account while holding a higher one, so
  // a cycle of waits (0 waits for 1 waits for ... waits for 0) cannot form.
  // Locking `from` then `to` instead deadlocks as soon as two threads move
  // money in opposite directions: each holds one account, waits for the other.
  // (boost::lock(a, b) would work too; total() below needs an order anyway.)
  Account& first = accounts_[std::min(from, to)];
  Account& second = accounts_[std::max(from, to)];
  boost::lock_guard<boost::mutex> first_guard(first.mutex);
  boost::lock_guard<boost::mutex> second_guard(second.mutex);

  // Both accounts are held: check and move as one step, so no money is lost
  // to another thread's read-modify-write and none goes negative.
  Account& source = accounts_[from];
  Account& target = accounts_[to];
  if (source.balance < amount) throw InsufficientFunds("Bank::transfer: insufficient funds");
  source.balance -= amount;
  target.balance += amount;
}

long Bank::balance(std::size_t account) const {
  check_index(account, accounts_.size(), "Bank::balance");
  boost::lock_guard<boost::mutex> guard(accounts_[account].mutex);
  return accounts_[account].balance;
}

long Bank::total() const {
  // A consistent snapshot holds every account at once; otherwise a transfer
  // could debit an account already summed and credit one not yet summed.
  // The locks are taken in ascending order, the same order transfer() uses,
  // so total() joins the global order instead of creating a cycle with it.
  std::vector<boost::unique_lock<boost::mutex>> locks;
  locks.reserve(accounts_.size());
  for (const Account& account : accounts_) locks.emplace_back(account.mutex);

  long sum = 0;
  for (const Account& account : accounts_) sum += account.balance;
  return sum;
}

// ------------------------------------------------------------------ Table

Table::Table(std::size_t seats) : forks_(seats) {
  if (seats < 2) throw std::invalid_argument("Table: a table needs at least two seats");
}

std::size_t Table::seats() const { return forks_.size(); }

void Table::dine(std::size_t seat, int meals, const std::function<void()>& eat) {
  if (seat >= forks_.size()) throw std::out_of_range("Table::dine: no seat " + std::to_string(seat));
  if (meals < 0) throw std::invalid_argument("Table::dine: meals must not be negative");

  boost::mutex& left = forks_[seat];
  boost::mutex& right = forks_[(seat + 1) % forks_.size()];
  for (int meal = 0; meal < meals; ++meal) {
    // boost::lock takes both forks or neither: it blocks on one, only tries
    // the other, and if that fails puts the first down before blocking on the
    // second. A philosopher never waits while holding a fork, so "hold and
    // wait" is gone. Taking the left fork then the right one deadlocks as soon
    // as every philosopher holds their left fork at the same time.
    boost::lock(left, right);
    // The guards adopt the locks, so the forks go down even when eat() throws.
    eat();  // MUTANT: unlocked by hand, skipped when eat() throws
    right.unlock();
    left.unlock();
  }
}
