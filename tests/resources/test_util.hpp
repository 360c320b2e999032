// Shared helpers for tests/resources.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "service/process.hpp"
#include "service/resources.hpp"

namespace lambench::service::test {

inline const char* helper_path() {
    return LAMBENCH_RESOURCES_HELPER;
}

inline spawn_options helper_opts(std::vector<std::string> args, resource_group* group = nullptr) {
    spawn_options o;
    o.argv.push_back(helper_path());
    for (auto& a : args) o.argv.push_back(std::move(a));
    o.env = {{"PATH", "/usr/bin:/bin"}};
    o.cwd.assign(1, '/');  // not = "/": g++ 12 -Wrestrict false positive (PR 105329)
    o.group = group;
    return o;
}

// Reads the child's merged output until `stop` appears (or EOF when stop is empty) or the
// timeout passes.
inline std::string read_output(const child_process& c, std::chrono::milliseconds timeout,
                               const std::string& stop = {}) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{c.output_fd(), POLLIN, 0};
        int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r <= 0) continue;
        char buf[4096];
        ssize_t n = ::read(c.output_fd(), buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) continue;
        out.append(buf, static_cast<std::size_t>(n));
        if (!stop.empty() && out.find(stop) != std::string::npos) break;
    }
    return out;
}

inline std::vector<std::string> lines(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string l;
    while (std::getline(in, l)) out.push_back(l);
    return out;
}

inline std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

// Alive = exists and is not a zombie.
inline bool process_alive(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (s.empty()) return false;
    auto close = s.rfind(')');
    if (close == std::string::npos || close + 2 >= s.size()) return false;
    return s[close + 2] != 'Z' && s[close + 2] != 'X';
}

inline char process_state(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto close = s.rfind(')');
    if (close == std::string::npos || close + 2 >= s.size()) return '?';
    return s[close + 2];
}

inline bool dir_exists(const std::string& p) {
    return ::access(p.c_str(), F_OK) == 0;
}

inline std::string slurp(const std::string& path) {
    std::ifstream f(path);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

inline bool cgroups_required() {
    const char* e = std::getenv("LAMBENCH_REQUIRE_CGROUPS");
    return e && std::string(e) == "1";
}

}  // namespace lambench::service::test

// Skips when cgroups are unavailable, except under LAMBENCH_REQUIRE_CGROUPS=1 (CI), where that
// is a failure.
#define REQUIRE_CGROUPS()                                                     \
    do {                                                                      \
        const auto& s_ = ::lambench::service::detect_cgroups();               \
        if (s_.mode == ::lambench::service::cgroup_mode::none) {              \
            if (::lambench::service::test::cgroups_required())                \
                FAIL() << "LAMBENCH_REQUIRE_CGROUPS=1 but " << s_.describe(); \
            GTEST_SKIP() << s_.describe();                                    \
        }                                                                     \
    } while (0)
