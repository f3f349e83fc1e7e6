#pragma once

namespace tp0::sys {

// Sole owner of a file descriptor: closes it on destruction. Movable, not copyable.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd();

  UniqueFd(UniqueFd&& other) noexcept;
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

  // Gives up ownership without closing.
  int release() noexcept;

  // Closes now, if open. Throws std::system_error if close(2) reports an error
  // (the descriptor is released either way).
  void close();

  // Closes now, ignoring errors. Used where nothing could be done about one.
  void reset() noexcept;

 private:
  int fd_ = -1;
};

// A pipe whose two ends are close-on-exec. `nonblocking` applies to both ends.
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};
Pipe make_pipe(bool nonblocking);

}  // namespace tp0::sys
