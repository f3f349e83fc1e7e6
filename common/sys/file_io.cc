#include "common/sys/file_io.h"

#include <unistd.h>

#include "common/sys/system_error.h"

namespace tp0::sys {

void write_all(int fd, std::string_view data, const std::string& context) {
  while (!data.empty()) {
    const ssize_t written = retry_on_eintr([&] { return ::write(fd, data.data(), data.size()); });
    if (written == -1) throw last_error(context);
    data.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace tp0::sys
