// bench_runtime_events: serves N no-op events (each with a fresh trace id, as Lambda sends) to a
// program through the test Runtime API server, then makes the API go away so the program exits
// on its own. Wrap the program in a deterministic profiler to count the runtime client's
// user-space instructions per invocation, which a shared, noisy host cannot blur:
//   bench_runtime_events 20000 valgrind --tool=callgrind --callgrind-out-file=cg.out
//                        build/bin/bench_runtime_noop_shared       (one command line)
//   callgrind_annotate cg.out | grep TOTALS      # divide by N
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime_api_server.hpp"

extern char** environ;

int main(int argc, char** argv) {
    if (argc < 3 || std::atoi(argv[1]) < 1) {
        std::fprintf(stderr, "usage: %s N PROGRAM [ARG...]\n", argv[0]);
        return 2;
    }
    const int n = std::atoi(argv[1]);
    using namespace lambench::runtime::testing;
    server_options opts;
    opts.go_away_when_drained = true;
    runtime_api_server server(opts);
    for (int i = 0; i < n; ++i)
        server.push({"{}",
                     {{"Lambda-Runtime-Trace-Id",
                       "Root=1-5bef4de7-" + std::to_string(100000000 + i) + ";Sampled=1"}}});

    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    env.push_back("AWS_LAMBDA_RUNTIME_API=" + server.address());
    std::vector<char*> envp;
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    pid_t pid;
    int rc = ::posix_spawnp(&pid, argv[2], nullptr, nullptr, argv + 2, envp.data());
    if (rc != 0) {
        std::fprintf(stderr, "bench_runtime_events: posix_spawnp %s: %s\n", argv[2],
                     std::strerror(rc));
        return 1;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const auto posts = server.posts().size();
    std::fprintf(stderr, "bench_runtime_events: %zu of %d events answered\n", posts, n);
    return posts == static_cast<std::size_t>(n) ? 0 : 1;
}
