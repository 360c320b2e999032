#include "posix/file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

namespace lambench::posix {

namespace {
[[noreturn]] void fail(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}
}  // namespace

std::optional<std::string> read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file_atomic(const std::filesystem::path& p, std::string_view content, mode_t mode) {
    std::filesystem::path tmp = p;
    tmp += ".tmp";
    unique_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) fail("open(" + tmp.string() + ")");
    if (::fchmod(fd.get(), mode) != 0) fail("fchmod(" + tmp.string() + ")");
    const char* q = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        ssize_t n = ::write(fd.get(), q, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write(" + tmp.string() + ")");
        }
        q += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) fail("fsync(" + tmp.string() + ")");
    fd.reset();
    if (::rename(tmp.c_str(), p.c_str()) != 0) fail("rename(" + tmp.string() + ")");
}

file_lock::file_lock(const std::filesystem::path& path)
    : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (!fd_) fail("open(" + path.string() + ")");
    while (::flock(fd_.get(), LOCK_EX) != 0)
        if (errno != EINTR) fail("flock(" + path.string() + ")");
}

}  // namespace lambench::posix
