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

// Each cmd_*.cpp registers its command from a static registrar, before main. Running out of
// memory there ends the program whether or not an exception is thrown; noexcept says so.
struct registrar {
    explicit registrar(command c) noexcept { commands().emplace(c.name, std::move(c)); }
};

}  // namespace lambench::cli
