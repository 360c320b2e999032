// Test helper for tests/resources: one small program with a mode per behaviour under test.
// It is spawned through child_process, usually inside a resource_group.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

extern char** environ;

namespace {

double seconds(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

[[noreturn]] void sleep_forever() {
    for (;;) pause();
}

// Burns CPU until this process has used `cpu_s` seconds of it, then prints the wall time it
// took: the ratio is the CPU share the process actually got.
int spin_cpu(double cpu_s) {
    const double wall0 = seconds(CLOCK_MONOTONIC);
    const double cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
    volatile std::uint64_t x = 0;
    while (seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0 < cpu_s) {
        for (int i = 0; i < 10000; ++i) x = x + static_cast<std::uint64_t>(i);
    }
    std::printf("cpu=%.6f wall=%.6f\n", seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0,
                seconds(CLOCK_MONOTONIC) - wall0);
    return 0;
}

// Allocates and touches `mb` MiB so every page is resident and charged to the cgroup.
int alloc(long mb, bool hold) {
    const std::size_t bytes = static_cast<std::size_t>(mb) * 1024 * 1024;
    if (bytes > 0) {
        auto* p = static_cast<char*>(
            mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (p == MAP_FAILED) {
            std::perror("mmap");
            return 2;
        }
        for (std::size_t i = 0; i < bytes; i += 4096) p[i] = 1;
    }
    std::printf("allocated %ld\n", mb);
    std::fflush(stdout);
    if (hold) sleep_forever();
    return 0;
}

// Increments a counter in a shared file mapping as fast as it can.
int counter(const char* path) {
    int fd = open(path, O_RDWR);
    if (fd < 0) {
        std::perror("open");
        return 2;
    }
    auto* c = static_cast<volatile std::uint64_t*>(
        mmap(nullptr, sizeof(std::uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    if (c == MAP_FAILED) {
        std::perror("mmap");
        return 2;
    }
    for (;;) *c = *c + 1;
}

// Forks n sleeping children and prints their pids.
// With leave_group, they do what a daemonizing function would: setsid().
int fork_tree(int n, bool leave_group) {
    for (int i = 0; i < n; ++i) {
        pid_t p = fork();
        if (p == 0) {
            if (leave_group) setsid();
            sleep_forever();
        }
        std::printf("%d\n", p);
    }
    std::fflush(stdout);
    sleep_forever();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s MODE [ARGS]\n", argv[0]);
        return 64;
    }
    const std::string mode = argv[1];
    const char* arg = argc > 2 ? argv[2] : "0";
    if (mode == "spin-cpu") return spin_cpu(std::atof(arg));
    if (mode == "alloc") return alloc(std::atol(arg), false);
    if (mode == "alloc-hold") return alloc(std::atol(arg), true);
    if (mode == "counter") return counter(arg);
    if (mode == "fork-tree") return fork_tree(std::atoi(arg), true);
    if (mode == "fork-stay") return fork_tree(std::atoi(arg), false);
    if (mode == "exit") return std::atoi(arg);
    if (mode == "sleep") sleep_forever();
    if (mode == "ready-sleep") {
        std::printf("ready\n");
        std::fflush(stdout);
        sleep_forever();
    }
    if (mode == "segv") {
        signal(SIGSEGV, SIG_DFL);  // a sanitizer build installs its own handler
        raise(SIGSEGV);
        return 1;
    }
    if (mode == "abort") std::abort();
    if (mode == "ignore-term") {
        signal(SIGTERM, SIG_IGN);
        std::printf("ready\n");
        std::fflush(stdout);
        sleep_forever();
    }
    if (mode == "env") {
        for (char** e = environ; *e; ++e) std::printf("%s\n", *e);
        return 0;
    }
    if (mode == "pwd") {
        char buf[4096];
        if (!getcwd(buf, sizeof buf)) return 2;
        std::printf("%s\n", buf);
        return 0;
    }
    if (mode == "fds") {
        // Lists open descriptors other than the one opendir itself uses.
        DIR* d = opendir("/proc/self/fd");
        if (!d) return 2;
        const int own = dirfd(d);
        while (dirent* e = readdir(d)) {
            if (e->d_name[0] == '.') continue;
            if (std::atoi(e->d_name) == own) continue;
            std::printf("%s\n", e->d_name);
        }
        closedir(d);
        return 0;
    }
    if (mode == "both") {
        std::fputs("to-stdout\n", stdout);
        std::fflush(stdout);
        std::fputs("to-stderr\n", stderr);
        return 0;
    }
    if (mode == "signals") {
        // Reports whether SIGPIPE/SIGTERM are at their defaults and nothing is blocked.
        struct sigaction sa {};
        sigaction(SIGPIPE, nullptr, &sa);
        const bool pipe_dfl = sa.sa_handler == SIG_DFL;
        sigset_t cur;
        sigprocmask(SIG_SETMASK, nullptr, &cur);
        std::printf("sigpipe=%s blocked_term=%d\n", pipe_dfl ? "default" : "changed",
                    sigismember(&cur, SIGTERM));
        return 0;
    }
    if (mode == "cgroup") {
        FILE* f = std::fopen("/proc/self/cgroup", "r");
        if (!f) return 2;
        char line[1024];
        while (std::fgets(line, sizeof line, f)) std::fputs(line, stdout);
        std::fclose(f);
        return 0;
    }
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 64;
}
