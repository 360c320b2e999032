// What the Runtime API's peer check costs per accepted connection: the client socket's inode
// (NETLINK_SOCK_DIAG, or /proc/net/tcp), then the candidate processes' fds. Measured on a real
// loopback connection whose client end this process holds (the candidate), while a child process
// holds K other connections so the host's socket table is not trivially small.
//   bench_peer_check [--iterations N] [--extra-connections K]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "service/peer.hpp"

namespace {

int listen_loopback(std::uint16_t& port) {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 1024) != 0)
        std::exit(2);
    socklen_t len = sizeof a;
    ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return s;
}

int connect_to(std::uint16_t port, std::uint16_t& local_port) {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::exit(3);
    socklen_t len = sizeof a;
    ::getsockname(c, reinterpret_cast<sockaddr*>(&a), &len);
    local_port = ntohs(a.sin_port);
    return c;
}

}  // namespace

int main(int argc, char** argv) {
    int iterations = 2000, extra = 200;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--iterations")) iterations = std::atoi(argv[i + 1]);
        if (!std::strcmp(argv[i], "--extra-connections")) extra = std::atoi(argv[i + 1]);
    }
    int ready[2];
    if (::pipe(ready) != 0) return 2;
    pid_t holder = ::fork();
    if (holder == 0) {  // holds `extra` connections (both ends) until killed
        std::uint16_t p = 0, ignored = 0;
        int hl = listen_loopback(p);
        std::vector<int> held;
        for (int i = 0; i < extra; ++i) {
            held.push_back(connect_to(p, ignored));
            held.push_back(::accept(hl, nullptr, nullptr));
        }
        [[maybe_unused]] auto w = ::write(ready[1], "r", 1);
        ::pause();
        ::_exit(0);
    }
    char r;
    [[maybe_unused]] auto rd = ::read(ready[0], &r, 1);
    std::uint16_t port = 0, client_port = 0;
    int l = listen_loopback(port);
    int c = connect_to(port, client_port);
    int server_side = ::accept(l, nullptr, nullptr);
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(iterations));
    const std::vector<pid_t> me{::getpid()};
    bool ok = true;
    for (int i = 0; i < iterations; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        ok = ok && lambench::service::connection_belongs_to(client_port, port, me, ::getpid());
        us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0)
                .count());
    }
    // A stranger's connection: the lookup that ends in a refusal (walks the descendants too).
    auto t0 = std::chrono::steady_clock::now();
    bool stranger = lambench::service::connection_belongs_to(client_port, port, {1}, 1);
    double stranger_us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    std::sort(us.begin(), us.end());
    std::printf(
        "peer check, own connection (%d other connections open): p50 %.1f us, p99 %.1f us, max "
        "%.1f us (%s)\n",
        extra, us[us.size() / 2], us[us.size() * 99 / 100], us.back(),
        ok ? "admitted" : "REFUSED?");
    std::printf("peer check, stranger (walks every process): %.1f us (%s)\n", stranger_us,
                stranger ? "ADMITTED?" : "refused");
    ::kill(holder, SIGKILL);
    ::close(server_side);
    ::close(c);
    ::close(l);
    return ok && !stranger ? 0 : 1;
}
