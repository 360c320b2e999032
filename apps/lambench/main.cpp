#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "command.hpp"

#ifndef LAMBENCH_VERSION
#define LAMBENCH_VERSION "0.0.0"
#endif
#ifndef LAMBENCH_GIT_SHA
#define LAMBENCH_GIT_SHA "unknown"
#endif

namespace {

void print_help() {
    std::printf("lambench %s — what your serverless functions really cost\n\n", LAMBENCH_VERSION);
    std::printf(
        "usage: lambench <command> [options]   (lambench <command> --help for details)\n\n");
    std::printf("commands:\n");
    for (const auto& [name, cmd] : lambench::cli::commands())
        std::printf("  %-10s %s\n", name.c_str(), cmd.summary.c_str());
    std::printf("  %-10s %s\n", "version", "print version and git sha");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help") ||
        !std::strcmp(argv[1], "-h")) {
        print_help();
        return argc < 2 ? 2 : 0;
    }
    if (!std::strcmp(argv[1], "version") || !std::strcmp(argv[1], "--version")) {
        std::printf("lambench %s (%s)\n", LAMBENCH_VERSION, LAMBENCH_GIT_SHA);
        return 0;
    }
    auto& all = lambench::cli::commands();
    auto it = all.find(argv[1]);
    if (it == all.end()) {
        std::fprintf(stderr, "lambench: unknown command '%s'; run 'lambench help'\n", argv[1]);
        return 2;
    }
    std::string self = std::string("lambench ") + argv[1];
    argv[1] = self.data();
    try {
        return it->second.main(argc - 1, argv + 1);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lambench %s: %s\n", it->first.c_str(), e.what());
        return 1;
    }
}
