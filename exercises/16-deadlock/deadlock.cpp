// deadlock.cpp: transfers and dining philosophers that cannot deadlock.
// Build Bank::transfer/balance/total and Table::dine so that many threads can
// call them at once. Invariant: money is never created or lost, and no group of
// threads ever waits on each other in a circle. Primitives: boost::mutex, taken
// in one global order (by account number) or together with boost::lock(a, b).
#include "deadlock.hpp"

#include <algorithm>
#include <string>

#include <boost/thread/lock_algorithms.hpp>
#include <boost/thread/lock_guard.hpp>
#include <boost/thread/lock_types.hpp>

// ------------------------------------------------------------------- Bank

Bank::Bank(const std::vector<long>& balances) : accounts_(balances.size()) {
  for (std::size_t i = 0; i < balances.size(); ++i) {
    if (balances[i] < 0) throw std::invalid_argument("Bank: negative opening balance");
    accounts_[i].balance = balances[i];
  }
}

std::size_t Bank::size() const { return accounts_.size(); }

void Bank::transfer(std::size_t /*from*/, std::size_t /*to*/, long /*amount*/) {
  // TODO: check the arguments, lock both accounts without any chance of a
  // cycle of waits (and without locking one account twice when from == to),
  // then check the funds and move the money while both are held.
  throw std::logic_error("TODO: Bank::transfer");
}

long Bank::balance(std::size_t /*account*/) const {
  // TODO: read one balance under its account's lock.
  throw std::logic_error("TODO: Bank::balance");
}

long Bank::total() const {
  // TODO: hold every account at once, in the same order transfer() uses, and sum.
  throw std::logic_error("TODO: Bank::total");
}

// ------------------------------------------------------------------ Table

Table::Table(std::size_t seats) : forks_(seats) {
  if (seats < 2) throw std::invalid_argument("Table: a table needs at least two seats");
}

std::size_t Table::seats() const { return forks_.size(); }

void Table::dine(std::size_t /*seat*/, int /*meals*/, const std::function<void()>& /*eat*/) {
  // TODO: check the arguments; for each meal take forks seat and
  // (seat + 1) % seats() without ever waiting while holding one, call eat(),
  // and put both down even if eat() throws (the throw ends the dinner: no
  // further meal).
  throw std::logic_error("TODO: Table::dine");
}
