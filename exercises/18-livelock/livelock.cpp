// livelock.cpp: a polite worker that livelocks. It takes its own resource,
// tries the other one, and on failure lets go and retries at once. Against a
// worker doing the same thing in lock step, every try fails for both, forever.
// Fix the retry so that the two cannot stay in step: a random back-off made
// of step() calls (each worker with its own random generator), or one order.
#include "livelock.hpp"

#include <stdexcept>

void polite_worker(Workbench& bench, int id, int jobs, const Job& job, const Step& step) {
  if (id != 0 && id != 1) throw std::invalid_argument("polite_worker: id must be 0 or 1");
  Resource& mine = bench.resource[id];
  Resource& theirs = bench.resource[1 - id];
  for (int done = 0; done < jobs;) {
    std::unique_lock<Resource> have_mine(mine, std::try_to_lock);
    step();
    if (!have_mine) continue;
    std::unique_lock<Resource> have_theirs(theirs, std::try_to_lock);
    step();
    if (have_theirs) {
      job(id);
      ++done;
      continue;  // both guards release here
    }
    have_mine.unlock();  // polite: let the other worker have it
    // TODO: back off before retrying. Retrying at once (as here) keeps both
    // workers in step, so they collide again and again. Call step() a random
    // number of times, from a window that doubles after each failure, with a
    // generator of this worker's own; or make both workers try the resources
    // in one global order (resource[0] first).
  }
}
