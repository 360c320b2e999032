// Small helpers for the files of the cgroup filesystem and of /proc that the resource model
// reads and writes: control files (one write(2) per value, errors naming the call, the path and
// errno), the values they hold ("123\n", "key value" lines, pid lists) and process states.
// Internal to the service.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lambench::service::cgroup {

// Throws std::system_error(err) whose what() starts with `what` (e.g. "write <path>").
[[noreturn]] void throw_errno(const std::string& what, int err);

bool exists(const std::string& path);

// cgroup files must be written with one write(2) per value: the kernel parses each write.
// Returns 0 or the errno of the open/write that failed.
int try_write_file(const std::string& path, const std::string& value);
// Throws std::system_error "write <path>".
void write_file(const std::string& path, const std::string& value);

// The whole file, or nullopt when it cannot be opened or read.
std::optional<std::string> try_read_file(const std::string& path);
// Throws std::system_error "open <path>" or "read <path>".
std::string read_file(const std::string& path);

// "123\n" -> 123; anything else (empty, "max", trailing junk) -> 0.
std::uint64_t parse_u64(std::string_view s);

// "key value" lines (memory.events, memory.oom_control, cgroup.events).
std::optional<std::uint64_t> keyed_value(const std::string& text, std::string_view key);

// Every piece between separators, empty ones included ("a,,b" -> "a", "", "b").
std::vector<std::string> split(std::string_view s, char sep);

// a + "/" + b without doubling the slash; b's leading slashes are dropped, an empty b gives a.
std::string join_path(std::string a, std::string_view b);

// Whitespace-separated pids (cgroup.procs).
std::vector<pid_t> parse_pids(const std::string& text);

// The pids in <dir>/cgroup.procs; none when the file cannot be read.
std::vector<pid_t> read_procs(const std::string& dir);

// From /proc/<pid>/stat: exists and is not a zombie.
bool alive(pid_t pid);
// A stopped process shows state 'T' (or 't') in /proc/<pid>/stat; gone or zombie counts as done.
bool is_stopped_or_gone(pid_t pid);

}  // namespace lambench::service::cgroup
