// `lambench logs NAME`: print a function's log kept by the local service.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "command.hpp"
#include "posix/state_dir.hpp"
#include "service/config.hpp"

namespace {

int logs_main(int argc, char** argv) {
    CLI::App app{"Print a function's log (START/END/REPORT and its output) from the local service",
                 "lambench logs"};
    std::string name, state_dir;
    bool follow = false;
    app.add_option("name", name, "function name")->required();
    app.add_option("--state-dir", state_dir,
                   "state directory (default $LAMBENCH_STATE_DIR, else ~/.local/state/lambench)");
    app.add_flag("-f,--follow", follow, "keep printing new lines as they are written");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    std::filesystem::path dir =
        state_dir.empty() ? lambench::posix::default_state_dir() : std::filesystem::path(state_dir);
    auto file = dir / "service" / "logs" / (name + ".log");
    std::ifstream in(file, std::ios::binary);
    if (!in && !follow) {
        std::fprintf(stderr, "lambench logs: no log for '%s' at %s (has it been invoked? is --state-dir right?)\n",
                     name.c_str(), file.c_str());
        return 1;
    }
    char buf[65536];
    for (;;) {
        if (!in.is_open()) {
            in.open(file, std::ios::binary);
        }
        if (in.is_open()) {
            while (in.read(buf, sizeof buf) || in.gcount() > 0) {
                std::cout.write(buf, in.gcount());
                if (in.gcount() < static_cast<std::streamsize>(sizeof buf)) break;
            }
            std::cout.flush();
            in.clear();  // EOF is not the end when following
        }
        if (!follow) return 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

const lambench::cli::registrar reg{{"logs", "print a function's log from the local service", logs_main}};

}  // namespace
