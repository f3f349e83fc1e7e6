#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/sys/unique_fd.h"

namespace tp0::sys {

// The one door to the file system of the server's durable files (the bets file, its
// journal, the draw's record): every open, read, write, cut, sync and rename of theirs goes
// through these, each retrying interruptions and naming what failed, so that a fault
// injected under them (tests/support/kill_before_commit.cc) meets one set of calls.

// Opens `path` with `flags` (O_CLOEXEC is added), creating it with `mode` when `flags`
// hold O_CREAT. Throws std::system_error "open <what> <path>".
UniqueFd open_file(const std::string& path, int flags, const std::string& what, mode_t mode = 0);

// Like open_file(), but a file that does not exist is no error: the descriptor is then invalid.
UniqueFd open_if_present(const std::string& path, int flags, const std::string& what);

// The size of the file open as `fd`. Throws std::system_error with `context`.
std::uint64_t file_size(int fd, const std::string& context);

// Cuts (or extends) the file open as `fd` to `length` bytes (ftruncate). Throws
// std::system_error with `context`.
void truncate(int fd, std::uint64_t length, const std::string& context);

// Writes every byte of `data` to `fd`, resuming after interruptions and short writes.
// Throws std::system_error with `context` ("append bets to ./bets.csv") on failure; some
// of `data` may then have been written.
void write_all(int fd, std::string_view data, const std::string& context);

// Writes every byte of `data` to `fd` from byte `offset` on (pwrite(2): the file offset
// does not move), resuming after interruptions and short writes. Throws std::system_error
// with `context`; some of `data` may then have been written.
void write_all_at(int fd, std::string_view data, std::uint64_t offset, const std::string& context);

// Reads up to `size` bytes of `fd` from byte `offset` on (pread(2)), into `out`, fewer
// only where the file ends. Throws std::system_error with `context`.
void read_at(int fd, std::uint64_t offset, std::size_t size, std::string& out, const std::string& context);

// Every byte of `fd` from its offset to its end. Throws std::system_error with `context`.
std::string read_all(int fd, const std::string& context);

// Waits until the data written to `fd` is on disk (fdatasync). Throws std::system_error
// with `context`.
void sync_data(int fd, const std::string& context);

// Starts writing to disk what was written to `fd`, without waiting for it
// (sync_file_range): sync_data on many files in turn then waits for writes already under
// way, rather than starting each only when asked. A hint: what it cannot do, the sync
// that follows does, and says.
void start_writeback(int fd);

// The directory part of `path`, its last '/' included ("a/" of "a/b"); empty when it has no
// '/'.
std::string directory_part(const std::string& path);

// Waits until the directory that holds `path` is on disk (fsync), so that a file created,
// renamed or removed there stays so after a crash of the machine. Throws std::system_error
// naming the directory.
void sync_directory_of(const std::string& path);

// Creates the directory `path` with `mode`. Throws std::system_error naming it.
void make_directory(const std::string& path, mode_t mode);

// Removes `path`: a file, a link (not what it points to), or a directory and the files in
// it; a missing one is no error. A directory within is an error, as the draw's record,
// the one directory removed, holds none. Throws std::system_error naming it.
void remove_files(const std::string& path);

// Renames `from` to `to`, replacing it. Throws std::system_error naming both.
void rename(const std::string& from, const std::string& to);

// Removes `path`; a missing file is no error. Throws std::system_error with `context`.
void remove_if_present(const std::string& path, const std::string& context);

}  // namespace tp0::sys
