#pragma once

#include <cstddef>

namespace tp0::sys {

// An anonymous shared memory region (mmap MAP_SHARED | MAP_ANONYMOUS), zero-filled.
// Created before fork, it is shared by the creating process and every child forked
// afterwards. Unmapped when the owner is destroyed or release() is called.
class SharedMapping {
 public:
  // Throws std::system_error naming the size when the mapping cannot be created.
  explicit SharedMapping(std::size_t size);
  ~SharedMapping();

  SharedMapping(SharedMapping&& other) noexcept;
  SharedMapping& operator=(SharedMapping&& other) noexcept;
  SharedMapping(const SharedMapping&) = delete;
  SharedMapping& operator=(const SharedMapping&) = delete;

  void* data() const { return data_; }
  std::size_t size() const { return size_; }

  // Unmaps now. Throws std::system_error if munmap fails.
  void release();

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace tp0::sys
