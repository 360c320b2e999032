// File helpers of the foundation layer: whole-file reads, crash-safe replacement, and an
// exclusive lock file. Errors throw std::system_error naming the call and the path.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "posix/unique_fd.hpp"

namespace lambench::posix {

// The whole file, or nullopt when it cannot be opened.
std::optional<std::string> read_file(const std::filesystem::path& p);

// Writes `content` to p.tmp with `mode`, fsyncs it and renames it over p: a crash leaves either
// the old file or the new one, never half of one.
void write_file_atomic(const std::filesystem::path& p, std::string_view content, mode_t mode);

// An exclusive flock on `path` (created 0600) held for the object's lifetime. O_CLOEXEC: a
// process started while the lock is held (a postmaster) must not inherit it and outlive us.
class file_lock {
  public:
    explicit file_lock(const std::filesystem::path& path);

  private:
    unique_fd fd_;
};

}  // namespace lambench::posix
