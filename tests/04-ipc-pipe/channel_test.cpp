// Hidden tests of 04-ipc-pipe: a length-prefixed channel over pipes and
// socketpairs, between real processes. What is judged: the bytes on the wire
// (the frame format), whole 1 MiB messages, EINTR on both sides (a handler
// installed without SA_RESTART, so blocked reads and writes are really
// interrupted), and EOF inside a message.
//
// Tests that need a second process fork it first thing, while the test
// process is still single-threaded; the child runs only the Channel or raw
// system calls, never Catch2, and ends with _exit. ChildProcess reaps it in
// every case (SIGKILL first if it is still running). Waits on the parent
// side run through kata::value_within, so a hang becomes a failure.
#include <catch2/catch.hpp>

#include "channel.hpp"

#include <kata/process_test.hpp>
#include <kata/test.hpp>
#include <kata/thread_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using ipc::Channel;
using ipc::PeerClosed;

namespace {

/// A forked child that runs fn() and _exits with what it returns (99 if it
/// threw). Reaped by exits_cleanly_within or, at the latest, by the
/// destructor (SIGKILL first if it is still running).
class ChildProcess {
 public:
  template <class Fn>
  explicit ChildProcess(Fn fn) : pid_(kata::fork_child(std::move(fn), 99)) {}
  ~ChildProcess() {
    if (!reaped_) (void)kata::reap_within(pid_, 0ms);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }

  /// True once the child exited with code 0 within `limit`; it is reaped
  /// either way (killed if it was still running).
  bool exits_cleanly_within(std::chrono::milliseconds limit) {
    reaped_ = true;
    return kata::reap_within(pid_, limit).exited_with(0);
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

struct FdPair {
  int a = -1, b = -1;  // pipe: a reads, b writes; socketpair: either way
};

FdPair make_pipe() {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  return {fds[0], fds[1]};
}

FdPair make_socketpair() {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  return {fds[0], fds[1]};
}

/// The frame the format prescribes: 4-byte big-endian length, then the bytes.
std::string frame(std::string_view body, std::uint32_t declared) {
  std::string f;
  f += static_cast<char>(declared >> 24);
  f += static_cast<char>(declared >> 16);
  f += static_cast<char>(declared >> 8);
  f += static_cast<char>(declared);
  f.append(body);
  return f;
}
std::string frame(std::string_view body) { return frame(body, static_cast<std::uint32_t>(body.size())); }

/// The test's own correct writer, for frames the Channel did not make.
bool raw_write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// The test's own correct reader: fills `out` whole, false at EOF or error.
bool read_exact_raw(int fd, std::string& out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

/// A message whose bytes depend on `seed` and position.
std::string pattern(std::size_t size, int seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + static_cast<std::size_t>(seed) * 17) % 251);
  return s;
}

/// Receives up to `count` messages (stopping at nullopt) within `limit`; a
/// PeerClosed or other exception is rethrown. nullopt if it hung.
std::optional<std::vector<std::optional<std::string>>> receive_n(Channel& channel, int count,
                                                                  std::chrono::milliseconds limit) {
  return kata::value_within(limit, [&channel, count] {
    std::vector<std::optional<std::string>> got;
    for (int i = 0; i < count; ++i) {
      got.push_back(channel.receive());
      if (!got.back()) break;
    }
    return got;
  });
}

void set_sigusr1_blocked(bool blocked) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  ::pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
}

/// SIGPIPE ignored while it lives, so writing to a pipe without a reader
/// fails with EPIPE instead of killing the test process.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, &previous_);
  }
  ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &previous_, nullptr); }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

 private:
  struct sigaction previous_ {};
};

/// Writes into the pipe's write end until it holds not one byte more, and
/// returns what it wrote. The end is blocking again afterwards, so the next
/// write() on it waits for the reader.
std::string fill_pipe(int write_fd) {
  const int flags = ::fcntl(write_fd, F_GETFL);
  REQUIRE(::fcntl(write_fd, F_SETFL, flags | O_NONBLOCK) == 0);
  std::string written;
  for (std::size_t chunk : {std::size_t{65536}, std::size_t{1}}) {
    const std::string bytes = pattern(chunk, 9);
    for (;;) {
      const ssize_t n = ::write(write_fd, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EAGAIN: full for a write of this size
      written.append(bytes, 0, static_cast<std::size_t>(n));
    }
  }
  REQUIRE(errno == EAGAIN);
  REQUIRE(::fcntl(write_fd, F_SETFL, flags) == 0);
  return written;
}

/// In a forked child: caps its address space at what it maps now plus
/// `room`, so that an absurd allocation (a length read as 4 GiB) fails with
/// bad_alloc instead of filling the machine's memory. Not under
/// AddressSanitizer, whose shadow memory needs an unbounded address space.
void cap_address_space(std::size_t room) {
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
  return;
#endif
#endif
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  statm >> pages;
  const auto bytes = static_cast<rlim_t>(pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) + room);
  const rlimit limit{bytes, bytes};
  ::setrlimit(RLIMIT_AS, &limit);
}

}  // namespace

TEST_CASE("length bytes of 0x80 and above are read as unsigned", "[04-ipc-pipe][unit][req:1]") {
  // 200 = 00 00 00 C8, 33023 = 00 00 80 FF, 128 = 00 00 00 80: a length byte
  // with its high bit set. Read into a plain (signed) char and widened, it is
  // negative, and the size becomes some 4 GiB: the child then fails to
  // allocate it (its address space is capped) or waits for bytes that never come.
  const std::size_t sizes[] = {200, 33023, 128};
  IgnoreSigpipe ignore_sigpipe;  // a child that dies early must not kill the writer
  auto p = make_pipe();
  ChildProcess child([&] {
    ::close(p.b);
    cap_address_space(std::size_t{256} << 20);
    Channel reader(p.a);
    for (int i = 0; i < 3; ++i) {
      auto m = reader.receive();
      if (!m || *m != pattern(sizes[i], i)) return 1;
    }
    return reader.receive() ? 2 : 0;
  });
  REQUIRE(child.started());
  ::close(p.a);
  std::string bytes;
  for (int i = 0; i < 3; ++i) bytes += frame(pattern(sizes[i], i));
  REQUIRE(bytes.substr(0, 4) == std::string("\0\0\0\xC8", 4));
  raw_write_all(p.b, bytes);  // false (EPIPE) when the child gave up: it then exits non-zero
  ::close(p.b);
  INFO("the receiver did not get messages of 200, 33023 and 128 bytes: decode the length from unsigned bytes");
  REQUIRE(child.exits_cleanly_within(5000ms));
}

TEST_CASE("send refuses a message longer than kMaxMessage with length_error", "[04-ipc-pipe][unit][req:1]") {
  // A view that claims 4 GiB: its size alone says it cannot be framed; send
  // must refuse it without touching its bytes. Its length cut to 32 bits is
  // 0, a frame that would lie about the message. /dev/null takes any write
  // without reading the buffer, so a send that does not check returns.
  const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  REQUIRE(devnull >= 0);
  Channel writer(devnull);
  static const char one_byte = 'x';
  const std::string_view too_long(&one_byte, std::size_t{ipc::kMaxMessage} + 1);
  auto outcome = kata::value_within(10s, [&writer, too_long] {
    try {
      writer.send(too_long);
      return std::string("sent");
    } catch (const std::length_error&) {
      return std::string("length_error");
    } catch (const std::exception& e) {
      return std::string("other exception: ") + e.what();
    }
  });
  REQUIRE(outcome);
  REQUIRE(*outcome == "length_error");
}

TEST_CASE("send writes the frame format and receive reads it", "[04-ipc-pipe][unit][req:1]") {
  auto p = make_pipe();
  Channel reader(p.a), writer(p.b);
  writer.send("abc");
  writer.send("");
  // Read what send() put in the pipe, byte for byte: 00 00 00 03 'a' 'b' 'c'
  // then 00 00 00 00 for the empty message.
  char raw[11];
  REQUIRE(::read(reader.fd(), raw, sizeof raw) == static_cast<ssize_t>(sizeof raw));
  REQUIRE(std::string(raw, sizeof raw) == frame("abc") + frame(""));

  const std::string big_endian = frame(pattern(300, 1));  // 300 = 0x0000012C
  REQUIRE(raw_write_all(p.b, big_endian));
  auto got = receive_n(reader, 1, 5000ms);
  REQUIRE(got);
  REQUIRE((*got)[0] == pattern(300, 1));
}

TEST_CASE("messages arrive whole and in order, then a clean EOF is nullopt", "[04-ipc-pipe][unit][req:1][req:2][req:5]") {
  auto p = make_pipe();
  Channel reader(p.a), writer(p.b);
  writer.send("first");
  writer.send("");  // an empty message is a message, not the end
  writer.send("third");
  writer.close();
  auto got = receive_n(reader, 5, 5000ms);
  REQUIRE(got);
  REQUIRE(got->size() == 4);
  REQUIRE((*got)[0] == "first");
  REQUIRE((*got)[1] == "");
  REQUIRE((*got)[2] == "third");
  REQUIRE_FALSE((*got)[3]);
}

TEST_CASE("1 MiB messages cross between processes whole", "[04-ipc-pipe][unit][req:2]") {
  constexpr std::size_t kMiB = 1 << 20;
  auto down = make_pipe();        // child -> parent
  auto both = make_socketpair();  // parent -> child, and the child's reply
  ChildProcess child([&] {
    ::close(down.a);
    ::close(both.a);
    Channel out(down.b), peer(both.b);
    for (int i = 0; i < 3; ++i) out.send(pattern(kMiB, i));
    out.send("done");
    out.close();
    // Receive the parent's 1 MiB message and answer with what arrived.
    auto m = peer.receive();
    peer.send(m ? (*m == pattern(kMiB, 7) ? "intact" : "damaged " + std::to_string(m->size())) : "none");
    return 0;
  });
  REQUIRE(child.started());
  ::close(down.b);
  ::close(both.b);
  Channel in(down.a), peer(both.a);

  auto got = receive_n(in, 5, 10000ms);
  REQUIRE(got);  // else: receive hung (a short read taken for a whole message?)
  REQUIRE(got->size() == 5);
  for (int i = 0; i < 3; ++i) {
    INFO("message " << i);
    REQUIRE((*got)[static_cast<std::size_t>(i)]);
    REQUIRE((*got)[static_cast<std::size_t>(i)]->size() == kMiB);
    REQUIRE(*(*got)[static_cast<std::size_t>(i)] == pattern(kMiB, i));
  }
  REQUIRE((*got)[3] == "done");
  REQUIRE_FALSE((*got)[4]);

  // The other way: the parent sends 1 MiB over the socketpair.
  REQUIRE(kata::finishes_within(10s, [&peer] { peer.send(pattern(kMiB, 7)); }));
  auto reply = receive_n(peer, 1, 10000ms);
  REQUIRE(reply);
  REQUIRE((*reply)[0] == "intact");
  REQUIRE(child.exits_cleanly_within(5000ms));
}

TEST_CASE("a reader interrupted by signals still receives whole messages", "[04-ipc-pipe][unit][req:3]") {
  constexpr std::size_t kMiB = 1 << 20;
  kata::InterruptingSignal interrupting;
  REQUIRE(interrupting.installed());
  set_sigusr1_blocked(true);  // only the reader thread below takes SIGUSR1
  auto p = make_pipe();
  const pid_t parent = ::getpid();
  ChildProcess child([&] {
    // A slow sender: 16 KiB at a time, and a SIGUSR1 to the reader while it
    // waits for the next piece (blocked in read() on an empty pipe).
    ::close(p.a);
    const std::string bytes = frame(pattern(kMiB, 3)) + frame("after");
    for (std::size_t off = 0; off < bytes.size(); off += 16384) {
      if (!raw_write_all(p.b, std::string_view(bytes).substr(off, 16384))) return 2;
      std::this_thread::sleep_for(1ms);
      ::kill(parent, SIGUSR1);
      std::this_thread::sleep_for(1ms);
    }
    return 0;
  });
  REQUIRE(child.started());
  ::close(p.b);
  Channel reader(p.a);
  auto got = kata::value_within(10s, [&reader] {
    set_sigusr1_blocked(false);
    std::vector<std::optional<std::string>> messages;
    for (int i = 0; i < 3; ++i) messages.push_back(reader.receive());
    set_sigusr1_blocked(true);
    return messages;
  });
  REQUIRE(got);
  INFO(interrupting.count() << " signals were delivered during the transfer");
  REQUIRE(interrupting.count() >= 10);  // the test did what it says
  REQUIRE((*got)[0]);
  REQUIRE((*got)[0]->size() == kMiB);
  REQUIRE(*(*got)[0] == pattern(kMiB, 3));
  REQUIRE((*got)[1] == "after");
  REQUIRE_FALSE((*got)[2]);
  REQUIRE(child.exits_cleanly_within(5000ms));
  set_sigusr1_blocked(false);
}

TEST_CASE("a writer interrupted by signals still sends the whole message", "[04-ipc-pipe][unit][req:4]") {
  constexpr std::size_t kMiB = 1 << 20;
  kata::InterruptingSignal interrupting;  // inherited by the child across fork
  REQUIRE(interrupting.installed());
  auto p = make_pipe();
  ChildProcess child([&] {
    ::close(p.a);
    Channel out(p.b);
    out.send(pattern(kMiB, 5));  // blocks on the full pipe; signals interrupt it
    out.send("end");
    return 0;
  });
  REQUIRE(child.started());
  ::close(p.b);
  // A slow reader: 16 KiB at a time, a SIGUSR1 to the writer after each,
  // while its write() is blocked on the full pipe. A write interrupted after
  // some bytes returns that count: a sender that ignores it loses the rest.
  std::string bytes;
  int signals_sent = 0;
  const auto deadline = kata::Clock::now() + 10s;
  bool eof = false;
  while (!eof && kata::Clock::now() < deadline) {
    pollfd pfd{p.a, POLLIN, 0};
    if (::poll(&pfd, 1, 100) <= 0) continue;
    char buffer[16384];
    const ssize_t n = ::read(p.a, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof = true;
    } else {
      bytes.append(buffer, static_cast<std::size_t>(n));
      ::kill(child.pid(), SIGUSR1);
      ++signals_sent;
      std::this_thread::sleep_for(1ms);
    }
  }
  ::close(p.a);
  REQUIRE(eof);  // else: the writer hung
  REQUIRE(child.exits_cleanly_within(5000ms));  // send() did not throw on EINTR
  const std::string expected = frame(pattern(kMiB, 5)) + frame("end");
  INFO("received " << bytes.size() << " bytes, expected " << expected.size()
                   << ": a write() cut short by a signal returns the count it wrote; send the rest");
  REQUIRE(bytes.size() == expected.size());
  REQUIRE(bytes == expected);
  REQUIRE(signals_sent >= 10);  // the test did what it says
}

TEST_CASE("a peer that closes inside a message gives PeerClosed, not a short message", "[04-ipc-pipe][unit][req:5]") {
  SECTION("inside the body") {
    auto p = make_pipe();
    Channel reader(p.a);
    REQUIRE(raw_write_all(p.b, frame("only ten b", 1000)));  // announces 1000 bytes, sends 10
    ::close(p.b);
    REQUIRE_THROWS_AS(receive_n(reader, 1, 5000ms), PeerClosed);
  }
  SECTION("inside the header") {
    auto p = make_pipe();
    Channel reader(p.a);
    REQUIRE(raw_write_all(p.b, frame("whole")));
    REQUIRE(raw_write_all(p.b, std::string("\0\0", 2)));  // half a header
    ::close(p.b);
    auto first = receive_n(reader, 1, 5000ms);
    REQUIRE(first);
    REQUIRE((*first)[0] == "whole");
    REQUIRE_THROWS_AS(receive_n(reader, 1, 5000ms), PeerClosed);
  }
}

TEST_CASE("a writer process that dies inside a 1 MiB message gives PeerClosed", "[04-ipc-pipe][unit][req:5]") {
  auto p = make_pipe();
  ChildProcess child([&] {
    ::close(p.a);
    raw_write_all(p.b, frame(pattern(100 * 1024, 1), 1 << 20));
    return 0;  // _exit closes the pipe: the reader sees EOF mid-message
  });
  REQUIRE(child.started());
  ::close(p.b);
  Channel reader(p.a);
  REQUIRE_THROWS_AS(receive_n(reader, 1, 10000ms), PeerClosed);
  REQUIRE(child.exits_cleanly_within(5000ms));
}

TEST_CASE("a writer interrupted before it wrote a byte retries and sends the message", "[04-ipc-pipe][unit][req:4]") {
  kata::InterruptingSignal interrupting;
  REQUIRE(interrupting.installed());
  auto p = make_pipe();
  Channel reader(p.a);
  const std::string filler = fill_pipe(p.b);  // the pipe is full: send() must wait
  Channel writer(p.b);
  auto tid = std::make_shared<std::atomic<pid_t>>(0);
  auto task = std::make_shared<std::packaged_task<void()>>([&writer, tid] {
    tid->store(kata::os_tid());
    writer.send("after the signal");
  });
  auto sent = task->get_future();
  std::thread([task] { (*task)(); }).detach();

  // Once the writer sleeps, it sleeps in write() on the full pipe, with not
  // one byte of the frame written: the signal makes that write() fail with
  // EINTR, which is no failure.
  REQUIRE(kata::eventually(5000ms, [&] { return tid->load() != 0 && kata::thread_state(tid->load()) == 'S'; }));
  REQUIRE(::syscall(SYS_tgkill, ::getpid(), tid->load(), SIGUSR1) == 0);
  REQUIRE(kata::eventually(5000ms, [&] { return interrupting.count() >= 1; }));

  // Empty the pipe: the writer must go on and send its frame.
  auto drained = kata::value_within(5s, [&] {
    std::string bytes(filler.size(), '\0');
    return read_exact_raw(reader.fd(), bytes) ? bytes : std::string();
  });
  REQUIRE(drained);
  REQUIRE(*drained == filler);
  auto got = receive_n(reader, 1, 5000ms);
  REQUIRE(got);
  REQUIRE((*got)[0] == "after the signal");
  REQUIRE(kata::ready_within(sent, 5s));
  sent.get();  // send() did not throw on EINTR
}

TEST_CASE("send to a pipe whose reader has closed throws system_error", "[04-ipc-pipe][unit][req:6]") {
  IgnoreSigpipe ignore_sigpipe;
  auto p = make_pipe();
  ::close(p.a);
  Channel writer(p.b);
  std::error_code error;
  REQUIRE(kata::finishes_within(5s, [&] {
    try {
      writer.send("nobody reads this");
    } catch (const std::system_error& e) {
      error = e.code();
    }
  }));
  INFO("error code: " << error.message());
  REQUIRE(error == std::errc::broken_pipe);
}

TEST_CASE("receive on a descriptor that cannot be read throws system_error, not EOF", "[04-ipc-pipe][unit][req:6]") {
  auto p = make_pipe();
  Channel reader(p.a);
  Channel wrong_end(p.b);  // a pipe's write end: read() fails with EBADF
  REQUIRE_THROWS_AS(receive_n(wrong_end, 1, 5000ms), std::system_error);
}

TEST_CASE("move assignment closes the old descriptor and takes over the other", "[04-ipc-pipe][unit]") {
  auto first = make_pipe();
  auto second = make_pipe();
  Channel first_writer(first.b), second_writer(second.b);
  Channel reader(first.a);
  {
    Channel other(second.a);
    reader = std::move(other);
    REQUIRE(other.fd() == -1);
  }  // other's destructor must not close what reader owns now
  REQUIRE(reader.fd() == second.a);
  // The first pipe lost its only reader: its write end reports an error.
  pollfd pfd{first.b, POLLOUT, 0};
  REQUIRE(::poll(&pfd, 1, 0) == 1);
  REQUIRE((pfd.revents & POLLERR) != 0);

  second_writer.send("through the moved channel");
  auto got = receive_n(reader, 1, 5000ms);
  REQUIRE(got);
  REQUIRE((*got)[0] == "through the moved channel");
}
