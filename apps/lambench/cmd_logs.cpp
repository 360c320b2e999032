// `lambench logs NAME`: print a function's log kept by the local service. The service caps each
// function's log (log_max_bytes) and keeps one older file, so the whole log is <fn>.log.1 then
// <fn>.log; --follow carries on across a rotation.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "command.hpp"
#include "posix/state_dir.hpp"
#include "service/config.hpp"

namespace {

namespace fs = std::filesystem;

// Copies fd from its current offset to its end onto stdout.
void copy_out(int fd) {
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            std::fwrite(buf, 1, static_cast<std::size_t>(n), stdout);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        break;
    }
    std::fflush(stdout);
}

// The file at `path` is no longer the one open as fd (rotated away or removed).
bool replaced(int fd, const fs::path& path) {
    struct stat open_st {
    }, path_st{};
    if (::fstat(fd, &open_st) != 0) return true;
    if (::stat(path.c_str(), &path_st) != 0) return true;
    return open_st.st_ino != path_st.st_ino || open_st.st_dev != path_st.st_dev;
}

int logs_main(int argc, char** argv) {
    CLI::App app{"Print a function's log (START/END/REPORT and its output) from the local service",
                 "lambench logs"};
    std::string name, state_dir;
    bool follow = false;
    app.add_option("name", name, "function name")->required();
    app.add_option("--state-dir", state_dir,
                   "state directory (default $LAMBENCH_STATE_DIR, else ~/.local/state/lambench)");
    app.add_flag("-f,--follow", follow, "keep printing new lines as they are written");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    fs::path dir = state_dir.empty() ? lambench::posix::default_state_dir() : fs::path(state_dir);
    const fs::path file = dir / "service" / "logs" / (name + ".log");
    const fs::path older = dir / "service" / "logs" / (name + ".log.1");
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    int old_fd = ::open(older.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && old_fd < 0 && !follow) {
        std::fprintf(stderr,
                     "lambench logs: no log for '%s' at %s (has it been invoked? is --state-dir "
                     "right?)\n",
                     name.c_str(), file.c_str());
        return 1;
    }
    if (old_fd >= 0) {  // the older part first
        copy_out(old_fd);
        ::close(old_fd);
    }
    if (!follow) {
        if (fd >= 0) {
            copy_out(fd);
            ::close(fd);
        }
        return 0;
    }
    for (;;) {
        if (fd < 0) fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            copy_out(fd);
            if (replaced(fd, file)) {
                // The service no longer writes to the old file once it is rotated: print what it
                // got last, then go on with the new file from its start.
                copy_out(fd);
                ::close(fd);
                fd = -1;
                continue;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

const lambench::cli::registrar reg{"logs", "print a function's log from the local service",
                                   logs_main};

}  // namespace
