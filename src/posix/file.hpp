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

// The whole file (read to end of file, so /proc and cgroup files work too), or nullopt when it
// cannot be opened or read.
std::optional<std::string> read_file(const std::filesystem::path& p);
// The same; throws std::system_error "read <path>" instead.
std::string read_file_or_throw(const std::filesystem::path& p);

// Writes `content` to p.tmp with `mode`, fsyncs it and renames it over p: a crash leaves either
// the old file or the new one, never half of one. With `sync_dir`, the directory is fsynced too,
// so that the rename itself survives a crash.
void write_file_atomic(const std::filesystem::path& p, std::string_view content, mode_t mode,
                       bool sync_dir = false);

// fsync of a directory: makes the creations, renames and removals in it durable.
void sync_directory(const std::filesystem::path& dir);

// A file opened for appending (created 0600 when absent): write() puts whole records at its end
// (a write that fails half way is cut back off), sync() makes what was written durable
// (fdatasync). Move-only.
class append_file {
  public:
    append_file() = default;
    explicit append_file(const std::filesystem::path& p);
    void write(std::string_view data);
    void sync();
    const std::filesystem::path& path() const { return path_; }
    explicit operator bool() const { return static_cast<bool>(fd_); }

  private:
    std::filesystem::path path_;
    unique_fd fd_;
};

// An exclusive flock on `path` (created 0600) held for the object's lifetime. O_CLOEXEC: a
// process started while the lock is held (a postmaster) must not inherit it and outlive us.
class file_lock {
  public:
    explicit file_lock(const std::filesystem::path& path);  // waits for the lock
    // The lock if nobody holds it, else nullopt (does not wait).
    static std::optional<file_lock> try_acquire(const std::filesystem::path& path);

  private:
    file_lock() = default;
    unique_fd fd_;
};

}  // namespace lambench::posix
