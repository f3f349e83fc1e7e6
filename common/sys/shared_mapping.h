#pragma once

#include <cstddef>
#include <memory>

namespace tp0::sys {

// An anonymous shared memory region (mmap MAP_SHARED | MAP_ANONYMOUS), zero-filled.
// Created before fork, it is shared by the creating process and every child forked
// afterwards. Unmapped when the owner is destroyed or release() is called. Movable.
class SharedMapping {
 public:
  // Throws std::system_error naming the size when the mapping cannot be created.
  explicit SharedMapping(std::size_t size);

  void* data() const { return mapping_.get(); }

  // Unmaps now. Throws std::system_error if munmap fails.
  void release();

 private:
  struct Unmap {
    std::size_t size = 0;
    void operator()(void* data) const;
  };

  std::unique_ptr<void, Unmap> mapping_;
};

}  // namespace tp0::sys
