// channel.cpp: framing over a byte stream. A pipe delivers whatever bytes
// are there: read() may return part of a frame, write() may write part of
// one (a signal arriving while it waits on a full pipe), and either may fail
// with EINTR when a signal handler without SA_RESTART runs. So every read
// and write sits in a loop that keeps going until its exact count is done.
#include "channel.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace ipc {
namespace {

/// Writes all of `data`, retrying after a partial write or EINTR.
void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;  // a signal came before anything was written
      throw std::system_error(errno, std::generic_category(), "Channel::send: write");
    }
    data.remove_prefix(static_cast<std::size_t>(n));  // maybe only part: go on
  }
}

/// Reads exactly `size` bytes into `out`. Returns how many it read before
/// EOF: `size` unless the peer closed first.
std::size_t read_exact(int fd, char* out, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, out + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "Channel::receive: read");
    }
    if (n == 0) break;  // EOF
    done += static_cast<std::size_t>(n);
  }
  return done;
}

}  // namespace

Channel& Channel::operator=(Channel&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

void Channel::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void Channel::send(std::string_view message) {
  if (message.size() > kMaxMessage) throw std::length_error("Channel::send: message longer than 4 GiB - 1");
  // Big-endian by hand: the frame means the same on any machine.
  const auto size = static_cast<std::uint32_t>(message.size());
  const char header[4] = {static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                          static_cast<char>(size >> 8), static_cast<char>(size)};
  // Two writes are fine: a stream has no boundaries anyway, and the reader
  // reassembles by counting. (Sending from two threads at once would need
  // a lock, or one writev of both parts under PIPE_BUF: not done here.)
  write_all(fd_, std::string_view(header, sizeof header));
  write_all(fd_, message);
}

std::optional<std::string> Channel::receive() {
  unsigned char header[4];
  const std::size_t got = read_exact(fd_, reinterpret_cast<char*>(header), sizeof header);
  // Zero bytes: the peer closed between messages, the normal end.
  if (got == 0) return std::nullopt;
  if (got < sizeof header) throw PeerClosed("Channel::receive: peer closed inside a message header");
  const std::uint32_t size = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                             (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
  std::string message(size, '\0');
  if (read_exact(fd_, message.data(), size) < size) {
    // Never hand out a truncated message as if it were whole.
    throw PeerClosed("Channel::receive: peer closed after part of a " + std::to_string(size) + "-byte message");
  }
  return message;
}

}  // namespace ipc
