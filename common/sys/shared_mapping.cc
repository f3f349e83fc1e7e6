#include "common/sys/shared_mapping.h"

#include <sys/mman.h>

#include <string>

#include "common/sys/system_error.h"

namespace tp0::sys {

SharedMapping::SharedMapping(std::size_t size) : mapping_(nullptr, Unmap{size}) {
  void* data = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED) throw last_error("map " + std::to_string(size) + " bytes of shared memory");
  mapping_.reset(data);
}

void SharedMapping::Unmap::operator()(void* data) const { ::munmap(data, size); }

void SharedMapping::release() {
  if (mapping_ && ::munmap(mapping_.release(), mapping_.get_deleter().size) == -1)
    throw last_error("unmap shared memory");
}

}  // namespace tp0::sys
