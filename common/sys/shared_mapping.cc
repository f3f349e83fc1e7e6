#include "common/sys/shared_mapping.h"

#include <sys/mman.h>

#include <string>
#include <utility>

#include "common/sys/system_error.h"

namespace tp0::sys {

SharedMapping::SharedMapping(std::size_t size) : size_(size) {
  void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED) {
    throw last_error("map " + std::to_string(size) + " bytes of shared memory");
  }
  data_ = data;
}

SharedMapping::~SharedMapping() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

SharedMapping::SharedMapping(SharedMapping&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

SharedMapping& SharedMapping::operator=(SharedMapping&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void SharedMapping::release() {
  if (data_ == nullptr) return;
  void* data = std::exchange(data_, nullptr);
  if (::munmap(data, size_) == -1) throw last_error("unmap shared memory");
}

}  // namespace tp0::sys
