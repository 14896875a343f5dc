// channel.hpp: a message channel over a byte stream (a pipe or a stream
// socket) between processes. A pipe carries bytes, not messages: each
// message is framed as a 4-byte big-endian length, then that many bytes.
// Invariant: receive() returns whole messages only; EOF between messages is
// the end (nullopt), EOF inside one is PeerClosed. Tools: read, write, EINTR.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ipc {

/// The peer closed its end in the middle of a message: the header or the
/// body was cut short. What arrived of that message is discarded.
struct PeerClosed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The largest message a frame can describe.
inline constexpr std::size_t kMaxMessage = UINT32_MAX;

/// One end of a channel: owns a file descriptor and closes it.
/// Frame: 4 bytes of length (most significant byte first), then the bytes.
/// Not safe for two threads to send (or to receive) on one Channel at once.
class Channel {
 public:
  /// Takes ownership of `fd`: a pipe end or a connected SOCK_STREAM socket.
  explicit Channel(int fd) : fd_(fd) {}
  ~Channel() { close(); }
  Channel(Channel&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Channel& operator=(Channel&& other) noexcept;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  /// Writes one whole frame, however many write() calls it takes and however
  /// many signals interrupt them. Throws std::length_error above kMaxMessage
  /// and std::system_error if writing fails (e.g. EPIPE).
  void send(std::string_view message);

  /// Reads one whole message. Returns nullopt at a clean EOF (the peer closed
  /// between messages), throws PeerClosed at EOF inside a frame and
  /// std::system_error if reading fails. Signals (EINTR) are not failures.
  std::optional<std::string> receive();

  /// Closes the descriptor (the peer then sees EOF). Idempotent.
  void close();

  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace ipc
