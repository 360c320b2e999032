#include "cgroup_fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <sstream>
#include <system_error>

#include "posix/file.hpp"
#include "posix/unique_fd.hpp"

namespace lambench::service::cgroup {

namespace {

using posix::unique_fd;

// The state letter of /proc/<pid>/stat (after the parenthesised command name), or nullopt when
// the process is gone or the line is malformed.
std::optional<char> proc_state(pid_t pid) {
    auto stat = try_read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return std::nullopt;
    auto close = stat->rfind(')');
    if (close == std::string::npos || close + 2 >= stat->size()) return std::nullopt;
    return (*stat)[close + 2];
}

}  // namespace

void throw_errno(const std::string& what, int err) {
    throw std::system_error(err, std::generic_category(), what);
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

int try_write_file(const std::string& path, const std::string& value) {
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (fd.get() < 0) return errno;
    ssize_t n;
    do {
        n = ::write(fd.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno;
    return 0;
}

void write_file(const std::string& path, const std::string& value) {
    if (int err = try_write_file(path, value)) throw_errno("write " + path, err);
}

std::optional<std::string> try_read_file(const std::string& path) {
    return posix::read_file(path);
}

std::string read_file(const std::string& path) {
    return posix::read_file_or_throw(path);
}

std::uint64_t parse_u64(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return 0;
    return v;
}

std::optional<std::uint64_t> keyed_value(const std::string& text, std::string_view key) {
    std::istringstream in(text);
    std::string k;
    std::uint64_t v = 0;
    while (in >> k >> v) {
        if (k == key) return v;
    }
    return std::nullopt;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        auto pos = s.find(sep, start);
        out.emplace_back(s.substr(start, pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

std::string join_path(std::string a, std::string_view b) {
    while (!b.empty() && b.front() == '/') b.remove_prefix(1);
    if (b.empty()) return a;
    if (a.empty() || a.back() != '/') a.push_back('/');
    a.append(b);
    return a;
}

std::vector<pid_t> parse_pids(const std::string& text) {
    std::vector<pid_t> out;
    std::istringstream in(text);
    long v = 0;
    while (in >> v) out.push_back(static_cast<pid_t>(v));
    return out;
}

std::vector<pid_t> read_procs(const std::string& dir) {
    return parse_pids(try_read_file(dir + "/cgroup.procs").value_or(""));
}

bool alive(pid_t pid) {
    auto st = proc_state(pid);
    return st && *st != 'Z' && *st != 'X';
}

bool is_stopped_or_gone(pid_t pid) {
    auto st = proc_state(pid);
    return !st || *st == 'T' || *st == 't' || *st == 'Z' || *st == 'X';
}

}  // namespace lambench::service::cgroup
