// channel.cpp: framing over a byte stream: 4-byte big-endian length, then
// the bytes. read() may return part of what you asked for, write() may write
// part of it, and both fail with EINTR when a signal handler runs: loop
// until the exact count is done. EOF between frames is the end (nullopt);
// EOF inside one is PeerClosed. Yours: the four TODOs.
#include "channel.hpp"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace ipc {
namespace {

[[maybe_unused]] void write_all([[maybe_unused]] int fd, [[maybe_unused]] std::string_view data) {
  // TODO: write_all: call write() until every byte is written: it may
  // write fewer bytes than asked; -1 with errno EINTR means "try again";
  // any other error: throw std::system_error(errno, std::generic_category()).
  throw std::logic_error("TODO: write_all");
}

[[maybe_unused]] std::size_t read_exact([[maybe_unused]] int fd, [[maybe_unused]] char* out,
                                        [[maybe_unused]] std::size_t size) {
  // TODO: read_exact: call read() until `size` bytes are in `out` or it
  // returns 0 (EOF); retry on EINTR; return how many bytes arrived.
  throw std::logic_error("TODO: read_exact");
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

void Channel::send([[maybe_unused]] std::string_view message) {
  // TODO: Channel::send: refuse a message longer than kMaxMessage
  // (std::length_error); 4 header bytes (size >> 24, >> 16, >> 8, size),
  // then the message, each with write_all.
  throw std::logic_error("TODO: Channel::send");
}

std::optional<std::string> Channel::receive() {
  // TODO: Channel::receive: read_exact the 4-byte header: 0 bytes -> nullopt,
  // 1-3 -> PeerClosed; decode the size from unsigned bytes (a plain char
  // of 0x80 or more is negative); read_exact the body: short ->
  // PeerClosed, else return it.
  throw std::logic_error("TODO: Channel::receive");
}

}  // namespace ipc
