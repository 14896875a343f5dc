// watch: the learner's loop. Grades the current exercise, then again on every
// save of one of its files; single keys move around.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "commands/commands.hpp"
#include "pipeline/profile.hpp"
#include "commands/learner.hpp"
#include "interrupt.hpp"
#include "select/selection.hpp"
#include "state/progress.hpp"
#include "watch/file_watcher.hpp"
#include "watch/fresh_verdict.hpp"

namespace grader {
namespace fs = std::filesystem;

namespace {

// Single keys without Enter, while a terminal is attached; restored on exit.
class RawKeys {
 public:
  RawKeys() {
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));  // keep ISIG: Ctrl-C still interrupts
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    active_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    if (active_) {
      termios saved = saved_;
      set_interrupt_cleanup([saved] { tcsetattr(STDIN_FILENO, TCSANOW, &saved); });
    }
  }
  ~RawKeys() {
    if (!active_) return;
    tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    set_interrupt_cleanup({});
  }

 private:
  termios saved_{};
  bool active_ = false;
};

const Exercise* first_unfinished(const std::vector<Exercise>& all, const Progress& progress, const Exercise* after) {
  bool past = after == nullptr;
  for (int round = 0; round < 2; ++round) {
    for (const auto& ex : all) {
      if (!past) {
        past = &ex == after;
        continue;
      }
      if (&ex != after && !progress.get(ex.slug).done) return &ex;
    }
    past = true;  // wrap around to the start
  }
  return nullptr;
}

// The terminal's rows (0 when not a terminal), so a listing fits the screen.
int terminal_rows() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_row;
}

}  // namespace

namespace {

// The terminal: saves through a FileWatcher, single keys from stdin.
class TerminalInput : public WatchInput {
 public:
  explicit TerminalInput(bool force_polling) : force_polling_(force_polling) {}
  void start(const std::vector<fs::path>& dirs) override {
    watcher_ = std::make_unique<FileWatcher>(dirs, force_polling_);
    keys_ = std::make_unique<RawKeys>();
  }
  bool polling() const override { return watcher_->polling(); }
  std::set<fs::path> wait(bool& key_ready) override {
    return watcher_->wait(std::chrono::hours(24), STDIN_FILENO, key_ready);
  }
  bool read_key(char& key) override { return read(STDIN_FILENO, &key, 1) == 1; }
  bool terminal() const override { return isatty(STDOUT_FILENO); }

 private:
  bool force_polling_;
  std::unique_ptr<FileWatcher> watcher_;
  std::unique_ptr<RawKeys> keys_;
};

}  // namespace

int run_watch(Context& ctx, const WatchOptions& options) {
  TerminalInput input(options.poll);
  return run_watch(ctx, options.name, input);
}

int run_watch(Context& ctx, const std::string& name, WatchInput& input) {
  auto catalog = load_catalog(ctx.paths.exercises);
  if (catalog.exercises.empty()) {
    ctx.err << "grader: error: no exercises to watch\n";
    return kExitUsage;
  }
  const Exercise* current = nullptr;
  if (!name.empty()) {
    auto selection = select_exercises(catalog.exercises, {name});
    if (!selection.errors.empty()) {
      ctx.err << "grader: error: " << selection.errors.front() << "\n";
      return kExitUsage;
    }
    current = selection.exercises.front();
  } else {
    current = first_unfinished(catalog.exercises, Progress::load(ctx.progress_file()), nullptr);
    if (!current) current = &catalog.exercises.front();
  }

  std::vector<fs::path> dirs;
  for (const auto& ex : catalog.exercises) dirs.push_back(ctx.paths.exercises / ex.slug);
  input.start(dirs);
  const bool terminal = input.terminal();
  const auto results_path = ctx.paths.build_root / "reports";

  auto legend = [&] {
    ctx.out << "\n"
            << ctx.style.dim(fmt::format("watching exercises/{} ({}): save a file to re-check.  "
                                         "[n]ext  [h]int  [l]ist  [r]e-run  [a]ll  [q]uit",
                                         current->slug, input.polling() ? "polling" : "inotify"))
            << "\n"
            << std::flush;
  };
  // What the learner's files held when the verdict on screen was graded: a
  // verdict is shown only for text still on disk, and a save that changes
  // nothing (or one already graded) does not grade again.
  SourceSnapshot graded;
  auto learner_files = [&](const Exercise& ex) { return snapshot_sources(ctx.paths.exercises / ex.slug); };
  auto grade_current = [&] {
    if (terminal) ctx.out << "\033[2J\033[H";  // a clean screen per verdict
    ctx.out << ctx.style.bold(current->slug + ": " + current->title) << "\n";
    ctx.out << "  " << current->question_ru << "\n  " << ctx.style.dim(current->question_en) << "\n";
    ctx.out << "  read: exercises/" << current->slug << "/README.md\n\n";
    const auto start = std::chrono::steady_clock::now();
    auto results = grade_until_unchanged(
        ctx.paths.exercises / current->slug, "exercises/" + current->slug,
        [&] { return grade_exercises(ctx, {current}, "exercise", &default_profile(), results_path); }, ctx.out, graded);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    show_results(ctx, results, "exercise", results_path, 1, seconds);
    if (!results.empty() && results.front().verdict == Verdict::pass)
      ctx.out << ctx.style.green("Passed! Press n for the next exercise.") << "\n";
    else
      ctx.out << "Press h for a hint.\n";
    legend();
  };

  grade_current();
  for (;;) {
    bool key_ready = false;
    auto changed = input.wait(key_ready);

    // A save of a learner's file: grade that exercise (switching to it if need be).
    for (const auto& path : changed) {
      auto slug = path.parent_path().filename().string();
      auto it = std::find_if(catalog.exercises.begin(), catalog.exercises.end(),
                             [&](const Exercise& ex) { return ex.slug == slug; });
      if (it == catalog.exercises.end()) continue;
      auto sources = it->sources();
      if (std::find(sources.begin(), sources.end(), path.filename().string()) == sources.end()) continue;
      if (&*it == current && learner_files(*it) == graded) continue;  // this text's verdict is on screen
      current = &*it;
      grade_current();
      break;
    }
    if (!key_ready) continue;
    char key = 0;
    if (!input.read_key(key)) return kExitPass;  // stdin closed
    switch (key) {
      case 'q':
        return kExitPass;
      case 'n': {
        auto* next = first_unfinished(catalog.exercises, Progress::load(ctx.progress_file()), current);
        if (!next) {
          ctx.out << "Every exercise is done. Well done!\n";
          legend();
          break;
        }
        current = next;
        grade_current();
        break;
      }
      case 'h':
        run_hint(ctx, {.name = current->slug}, true);
        legend();
        break;
      case 'l':
        run_list_fitted(ctx, current->slug, terminal_rows() - 3);  // the legend stays on screen
        legend();
        break;
      case 'r':
        grade_current();
        break;
      case 'a': {
        std::vector<const Exercise*> all;
        for (const auto& ex : catalog.exercises) all.push_back(&ex);
        grade_for_learner(ctx, all, "exercise", &default_profile(), results_path, 1);
        legend();
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace grader
