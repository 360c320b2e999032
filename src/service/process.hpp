// A sandbox's process: the foundation's child_process (posix/child_process.hpp) spawned with
// what a sandbox needs: the whole environment given (nothing inherited), stdout and stderr
// merged into one non-blocking pipe, its own process group, the resource group joined before
// exec (so init is accounted from the first instruction), then its jail entered. The destructor
// SIGKILLs and reaps if still running.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "posix/child_process.hpp"

namespace lambench::service {

class resource_group;
class sandbox_jail;

using exit_status = posix::exit_status;

struct spawn_options {
    std::vector<std::string> argv;           // argv[0] = path of the program
    std::map<std::string, std::string> env;  // the whole environment (nothing inherited)
    std::string cwd;
    resource_group* group = nullptr;  // joined before exec when set
    // Entered after the group is joined, before exec (isolation.hpp): its mount namespace,
    // rlimits and uid. Null: the service's own view, limits and user.
    const sandbox_jail* jail = nullptr;
};

class child_process : public posix::child_process {
  public:
    static child_process spawn(const spawn_options& opts);  // throws std::system_error
    explicit child_process(posix::child_process&& c) : posix::child_process(std::move(c)) {}
};

}  // namespace lambench::service
