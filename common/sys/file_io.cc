#include "common/sys/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <string_view>
#include <system_error>

#include "common/sys/system_error.h"
#include "common/sys/unique_fd.h"

namespace tp0::sys {

UniqueFd open_file(const std::string& path, int flags, const std::string& what, mode_t mode) {
  UniqueFd fd(retry_on_eintr([&] { return ::open(path.c_str(), flags | O_CLOEXEC, mode); }));
  if (!fd) throw last_error("open " + what + " " + path);
  return fd;
}

UniqueFd open_if_present(const std::string& path, int flags, const std::string& what) {
  UniqueFd fd(retry_on_eintr([&] { return ::open(path.c_str(), flags | O_CLOEXEC); }));
  if (!fd && errno != ENOENT) throw last_error("open " + what + " " + path);
  return fd;
}

std::uint64_t file_size(int fd, const std::string& context) {
  struct stat info {};
  if (::fstat(fd, &info) == -1) throw last_error(context);
  return static_cast<std::uint64_t>(info.st_size);
}

void truncate(int fd, std::uint64_t length, const std::string& context) {
  if (retry_on_eintr([&] { return ::ftruncate(fd, static_cast<off_t>(length)); }) == -1)
    throw last_error(context);
}

void write_all(int fd, std::string_view data, const std::string& context) {
  while (!data.empty()) {
    const ssize_t written = retry_on_eintr([&] { return ::write(fd, data.data(), data.size()); });
    if (written == -1) throw last_error(context);
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

void write_all_at(int fd, std::string_view data, std::uint64_t offset, const std::string& context) {
  while (!data.empty()) {
    const ssize_t written =
        retry_on_eintr([&] { return ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset)); });
    if (written == -1) throw last_error(context);
    data.remove_prefix(static_cast<std::size_t>(written));
    offset += static_cast<std::uint64_t>(written);
  }
}

void read_at(int fd, std::uint64_t offset, std::size_t size, std::string& out, const std::string& context) {
  out.resize(size);
  std::size_t got = 0;
  while (got < size) {
    const ssize_t received = retry_on_eintr(
        [&] { return ::pread(fd, out.data() + got, size - got, static_cast<off_t>(offset + got)); });
    if (received == -1) throw last_error(context);
    if (received == 0) break;
    got += static_cast<std::size_t>(received);
  }
  out.resize(got);
}

std::string read_all(int fd, const std::string& context) {
  std::string bytes;
  std::array<char, 4096> buffer{};
  while (true) {
    const ssize_t received = retry_on_eintr([&] { return ::read(fd, buffer.data(), buffer.size()); });
    if (received == -1) throw last_error(context);
    if (received == 0) return bytes;
    bytes.append(buffer.data(), static_cast<std::size_t>(received));
  }
}

void sync_data(int fd, const std::string& context) {
  if (retry_on_eintr([&] { return ::fdatasync(fd); }) == -1) throw last_error(context);
}

void start_writeback(int fd) { static_cast<void>(::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE)); }

std::string directory_part(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return path.substr(0, slash == std::string::npos ? 0 : slash + 1);
}

void sync_directory_of(const std::string& path) {
  const std::string directory = directory_part(path);
  const std::string name = directory.empty() ? "." : directory;
  const UniqueFd fd = open_file(name, O_RDONLY | O_DIRECTORY, "directory");
  if (retry_on_eintr([&] { return ::fsync(fd.get()); }) == -1) throw last_error("sync directory " + name);
}

void make_directory(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == -1) throw last_error("create directory " + path);
}

void remove_files(const std::string& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return;
  if (errno != EISDIR) throw last_error("remove " + path);
  // Opened without following a link: one put in the directory's place since is an error,
  // never a way into another directory.
  UniqueFd fd = open_file(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, "directory");
  const int descriptor = fd.get();
  const std::unique_ptr<DIR, int (*)(DIR*)> directory(::fdopendir(descriptor), ::closedir);
  if (!directory) throw last_error("read directory " + path);
  static_cast<void>(fd.release());  // closedir closes it
  while (true) {
    errno = 0;  // readdir(3) returns null at the end and on an error, which only errno tells apart
    const dirent* entry = ::readdir(directory.get());
    if (entry == nullptr) break;
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (::unlinkat(descriptor, entry->d_name, 0) == -1) {
      throw last_error("remove " + path + "/" + entry->d_name);
    }
  }
  if (errno != 0) throw last_error("read directory " + path);
  if (::rmdir(path.c_str()) == -1) throw last_error("remove " + path);
}

void rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) == -1) throw last_error("rename " + from + " to " + to);
}

void remove_if_present(const std::string& path, const std::string& context) {
  if (::unlink(path.c_str()) == -1 && errno != ENOENT) throw last_error(context);
}

}  // namespace tp0::sys
