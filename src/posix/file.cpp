#include "posix/file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace lambench::posix {

namespace {
[[noreturn]] void fail(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}
}  // namespace

namespace {
// read(2) to end of file: /proc and cgroup files report a size of 0 or 4096 whatever they hold,
// so the size from stat is never trusted. Returns 0 or the errno of the open/read that failed.
int read_all(const std::filesystem::path& p, std::string& out) {
    unique_fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return errno;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return 0;
        out.append(buf, static_cast<std::size_t>(n));
    }
}
}  // namespace

std::optional<std::string> read_file(const std::filesystem::path& p) {
    std::string out;
    if (read_all(p, out) != 0) return std::nullopt;
    return out;
}

std::string read_file_or_throw(const std::filesystem::path& p) {
    std::string out;
    if (const int err = read_all(p, out))
        throw std::system_error(err, std::generic_category(), "read " + p.string());
    return out;
}

namespace {
void write_all(int fd, std::string_view data, const std::filesystem::path& p) {
    const char* q = data.data();
    std::size_t left = data.size();
    while (left > 0) {
        ssize_t n = ::write(fd, q, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write(" + p.string() + ")");
        }
        q += n;
        left -= static_cast<std::size_t>(n);
    }
}
}  // namespace

void write_file_atomic(const std::filesystem::path& p, std::string_view content, mode_t mode,
                       bool sync_dir) {
    std::filesystem::path tmp = p;
    tmp += ".tmp";
    unique_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) fail("open(" + tmp.string() + ")");
    if (::fchmod(fd.get(), mode) != 0) fail("fchmod(" + tmp.string() + ")");
    write_all(fd.get(), content, tmp);
    if (::fsync(fd.get()) != 0) fail("fsync(" + tmp.string() + ")");
    fd.reset();
    if (::rename(tmp.c_str(), p.c_str()) != 0) fail("rename(" + tmp.string() + ")");
    if (sync_dir) sync_directory(p.has_parent_path() ? p.parent_path() : ".");
}

void sync_directory(const std::filesystem::path& dir) {
    unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) fail("open(" + dir.string() + ")");
    if (::fsync(fd.get()) != 0 && errno != EINVAL) fail("fsync(" + dir.string() + ")");
}

append_file::append_file(const std::filesystem::path& p)
    : path_(p), fd_(::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) {
    if (!fd_) fail("open(" + p.string() + ")");
}

void append_file::write(std::string_view data) {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) fail("fstat(" + path_.string() + ")");
    try {
        write_all(fd_.get(), data, path_);
    } catch (...) {
        // A record half written (disk full) would swallow the next one appended after it.
        [[maybe_unused]] int ignored = ::ftruncate(fd_.get(), st.st_size);
        throw;
    }
}

void append_file::sync() {
    // EINVAL: a file system without fsync support (some FUSE/tmpfs set-ups): nothing to do.
    if (::fdatasync(fd_.get()) != 0 && errno != EINVAL) fail("fdatasync(" + path_.string() + ")");
}

file_lock::file_lock(const std::filesystem::path& path)
    : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (!fd_) fail("open(" + path.string() + ")");
    while (::flock(fd_.get(), LOCK_EX) != 0)
        if (errno != EINTR) fail("flock(" + path.string() + ")");
}

std::optional<file_lock> file_lock::try_acquire(const std::filesystem::path& path) {
    file_lock l;
    l.fd_ = unique_fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!l.fd_) fail("open(" + path.string() + ")");
    while (::flock(l.fd_.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) return std::nullopt;
        if (errno != EINTR) fail("flock(" + path.string() + ")");
    }
    return l;
}

}  // namespace lambench::posix
