// The lambench CLI is a set of subcommands, each in its own cmd_<name>.cpp that registers
// itself with a static `lambench::cli::registrar`. main.cpp only dispatches.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lambench::cli {

struct command {
    std::string name;
    std::string summary;  // one line for `lambench help`
    // argv[0] is "lambench <name>"; returns the process exit code.
    std::function<int(int argc, char** argv)> main;
};

inline std::map<std::string, command>& commands() {
    static std::map<std::string, command> all;
    return all;
}

// Each cmd_*.cpp registers its command from a static registrar, before main. The strings are
// built inside, so that running out of memory there, which ends the program either way, does so
// through noexcept rather than an exception no one can catch.
struct registrar {
    registrar(const char* name, const char* summary, int (*entry)(int, char**)) noexcept {
        commands().emplace(name, command{name, summary, entry});
    }
};

}  // namespace lambench::cli
