#include "peer.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>

#include "posix/unique_fd.hpp"

namespace lambench::service {

namespace {

// The kernel prints an IPv4 address as the %08X of its network-order 32-bit value read as a
// native integer, and a port as %04X of the host-order port.
std::string proc_net_address(std::uint16_t port) {
    in_addr a{};
    ::inet_pton(AF_INET, "127.0.0.1", &a);
    std::uint32_t raw = 0;
    std::memcpy(&raw, &a, sizeof raw);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%08X:%04X", raw, port);
    return buf;
}

// One exact lookup through NETLINK_SOCK_DIAG: the kernel finds the socket by its 4-tuple in its
// hash table, so the cost does not grow with the number of sockets on the host (reading
// /proc/net/tcp formats every one of them: ~1 ms with a few hundred open).
std::optional<std::uint64_t> inode_from_sock_diag(std::uint16_t client_port,
                                                  std::uint16_t server_port) {
    posix::unique_fd nl(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (!nl) return std::nullopt;
    struct {
        nlmsghdr nlh;
        inet_diag_req_v2 req;
    } msg{};
    msg.nlh.nlmsg_len = sizeof msg;
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST;  // no NLM_F_DUMP: one socket, found by its tuple
    msg.req.sdiag_family = AF_INET;
    msg.req.sdiag_protocol = IPPROTO_TCP;
    msg.req.idiag_states = ~0u;
    msg.req.id.idiag_sport = htons(client_port);
    msg.req.id.idiag_dport = htons(server_port);
    msg.req.id.idiag_src[0] = htonl(INADDR_LOOPBACK);
    msg.req.id.idiag_dst[0] = htonl(INADDR_LOOPBACK);
    msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(nl.get(), &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel),
                 sizeof kernel) < 0)
        return std::nullopt;
    alignas(nlmsghdr) char buf[8192];
    ssize_t n = ::recv(nl.get(), buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    auto* h = reinterpret_cast<nlmsghdr*>(buf);
    auto len = static_cast<unsigned>(n);
    for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
        if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) return std::nullopt;
        if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
        auto* d = static_cast<inet_diag_msg*>(NLMSG_DATA(h));
        if (ntohs(d->id.idiag_sport) == client_port && ntohs(d->id.idiag_dport) == server_port &&
            d->idiag_inode)
            return d->idiag_inode;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> inode_from_proc_net_tcp(std::uint16_t client_port,
                                                     std::uint16_t server_port) {
    std::ifstream in("/proc/net/tcp");
    if (!in) return std::nullopt;
    const std::string local = proc_net_address(client_port), remote = proc_net_address(server_port);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        // "  sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout
        // inode"
        char sl[16], loc[64], rem[64], st[8], queues[40], timer[40], retr[16];
        unsigned long uid = 0, timeout = 0;
        unsigned long long inode = 0;
        // Kernel-written fields: a line that does not scan completely is skipped.
        // NOLINTNEXTLINE(cert-err34-c)
        if (std::sscanf(line.c_str(), "%15s %63s %63s %7s %39s %39s %15s %lu %lu %llu", sl, loc,
                        rem, st, queues, timer, retr, &uid, &timeout, &inode) != 10)
            continue;
        if (local == loc && remote == rem && inode != 0) return inode;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::uint64_t> loopback_client_socket_inode(std::uint16_t client_port,
                                                          std::uint16_t server_port) {
    if (auto inode = inode_from_sock_diag(client_port, server_port)) return inode;
    return inode_from_proc_net_tcp(client_port, server_port);  // kernels without inet_diag
}

bool process_holds_socket(pid_t pid, std::uint64_t inode) {
    std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    DIR* d = ::opendir(dir.c_str());
    if (!d) return false;
    const std::string want = "socket:[" + std::to_string(inode) + "]";
    char target[64];
    bool found = false;
    while (dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        std::string link = dir + "/" + e->d_name;
        ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        if (n <= 0) continue;
        if (static_cast<std::size_t>(n) == want.size() &&
            want.compare(0, want.size(), target, static_cast<std::size_t>(n)) == 0) {
            found = true;
            break;
        }
    }
    ::closedir(d);
    return found;
}

std::vector<pid_t> descendants_of(pid_t root) {
    std::map<pid_t, pid_t> parent;
    if (DIR* d = ::opendir("/proc")) {
        while (dirent* e = ::readdir(d)) {
            char* end = nullptr;
            long pid = std::strtol(e->d_name, &end, 10);
            if (!end || *end || pid <= 0) continue;
            std::ifstream st("/proc/" + std::string(e->d_name) + "/stat");
            std::string text;
            if (!std::getline(st, text)) continue;
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends
            // it.
            auto close = text.rfind(')');
            if (close == std::string::npos) continue;
            char state = 0;
            int ppid = 0;
            // NOLINTNEXTLINE(cert-err34-c): kernel-written; an incomplete scan skips the entry
            if (std::sscanf(text.c_str() + close + 1, " %c %d", &state, &ppid) != 2) continue;
            parent[static_cast<pid_t>(pid)] = static_cast<pid_t>(ppid);
        }
        ::closedir(d);
    }
    std::vector<pid_t> out;
    for (auto& [pid, pp] : parent) {
        pid_t p = pp;
        for (int depth = 0; p > 1 && depth < 4096; ++depth) {
            if (p == root) {
                out.push_back(pid);
                break;
            }
            auto it = parent.find(p);
            if (it == parent.end()) break;
            p = it->second;
        }
    }
    return out;
}

bool connection_belongs_to(std::uint16_t client_port, std::uint16_t server_port,
                           const std::vector<pid_t>& candidates, pid_t root) {
    auto inode = loopback_client_socket_inode(client_port, server_port);
    if (!inode) return false;
    for (pid_t p : candidates)
        if (process_holds_socket(p, *inode)) return true;
    if (root > 0) {
        if (process_holds_socket(root, *inode)) return true;
        for (pid_t p : descendants_of(root))
            if (process_holds_socket(p, *inode)) return true;
    }
    return false;
}

}  // namespace lambench::service
