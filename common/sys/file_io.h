#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tp0::sys {

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

// Waits until the directory that holds `path` is on disk (fsync), so that a file created,
// renamed or removed there stays so after a crash of the machine. Throws std::system_error
// naming the directory.
void sync_directory_of(const std::string& path);

// Removes `path`; a missing file is no error. Throws std::system_error with `context`.
void remove_if_present(const std::string& path, const std::string& context);

}  // namespace tp0::sys
