// livelock.cpp: a polite worker that cannot livelock. It takes its own
// resource, tries the other one, and on failure lets go and backs off for a
// random number of steps, from a window that doubles after each failure. Two
// workers in step draw different numbers sooner or later; the one that retries
// first finds both resources free and gets its job done.
#include "livelock.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>

void polite_worker(Workbench& bench, int id, int jobs, const Job& job, const Step& step) {
  if (id != 0 && id != 1) throw std::invalid_argument("polite_worker: id must be 0 or 1");
  Resource& mine = bench.resource[id];
  Resource& theirs = bench.resource[1 - id];
  // A generator of this worker's own, seeded differently for each call: two
  // workers with the same seed would draw the same back-offs and stay in
  // step, and one generator shared by both would be a data race.
  static std::minstd_rand random(std::random_device{}());  // MUTANT: one generator for both workers
  int failures = 0;  // since the last job: the back-off window is 2^failures
  for (int done = 0; done < jobs;) {
    // RAII guards: if step() or job() throws, what is held is released.
    std::unique_lock<Resource> have_mine(mine, std::try_to_lock);
    step();
    if (have_mine) {
      std::unique_lock<Resource> have_theirs(theirs, std::try_to_lock);
      step();
      if (have_theirs) {
        job(id);
        ++done;
        failures = 0;
        continue;  // both guards release here
      }
      have_mine.unlock();  // polite: let the other worker have it
    }
    // Back off for a random number of steps. Retrying at once, or after a
    // fixed number of steps, keeps two workers in step forever: they collide
    // again and again. Random draws differ sooner or later, and the window
    // doubles (up to 32 steps) so the chance of drawing the same number halves
    // with each collision.
    failures = std::min(failures + 1, 5);
    std::uniform_int_distribution<int> pauses(0, (1 << failures) - 1);
    for (int n = pauses(random); n > 0; --n) step();
  }
}
