// Who is at the other end of a loopback TCP connection. A sandbox's Runtime API port is
// reachable by every local process, so each accepted connection is traced to the process that
// owns its client socket (TCP has no SO_PEERCRED): the socket's inode comes from the kernel's
// socket table (/proc/net/tcp), and a process owns it when one of its fds links to
// "socket:[inode]".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace lambench::service {

// Inode of the client socket connected from 127.0.0.1:client_port to 127.0.0.1:server_port
// (ports in host order), or nullopt when the kernel's table has no such connection.
std::optional<std::uint64_t> loopback_client_socket_inode(std::uint16_t client_port,
                                                          std::uint16_t server_port);

// Whether process `pid` holds an fd on socket `inode`. False when the process is gone.
bool process_holds_socket(pid_t pid, std::uint64_t inode);

// Every live process whose parent chain leads to `root` (root excluded).
std::vector<pid_t> descendants_of(pid_t root);

// True when the connection's client socket is held by one of `candidates`, or by a descendant
// of `root` (looked up only when the candidates do not hold it: a daemonised or forked helper).
bool connection_belongs_to(std::uint16_t client_port, std::uint16_t server_port,
                           const std::vector<pid_t>& candidates, pid_t root);

}  // namespace lambench::service
