#include "posix/state_dir.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace lambench::posix {

std::filesystem::path default_state_dir() {
    auto env = [](const char* name) -> const char* {
        const char* v = std::getenv(name);
        return v && *v ? v : nullptr;
    };
    if (const char* s = env("LAMBENCH_STATE_DIR")) return s;
    if (const char* x = env("XDG_STATE_HOME")) return std::filesystem::path(x) / "lambench";
    if (const char* h = env("HOME")) return std::filesystem::path(h) / ".local/state/lambench";
    if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_dir && *pw->pw_dir)
        return std::filesystem::path(pw->pw_dir) / ".local/state/lambench";
    throw std::runtime_error(
        "no state directory: set LAMBENCH_STATE_DIR (or HOME), or pass --state-dir");
}

}  // namespace lambench::posix
