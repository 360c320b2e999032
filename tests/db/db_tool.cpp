// db_tool start|stop|destroy DIR: CTest fixture set-up and clean-up for tests that share a
// cluster (without depending on the whole lambench CLI).
#include <cstdio>
#include <string>

#include "db/embedded.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: db_tool start|stop|destroy STATE_DIR\n");
        return 2;
    }
    const std::string cmd = argv[1], dir = argv[2];
    try {
        if (cmd == "start")
            std::printf("%s\n", lambench::db::ensure_running(dir).c_str());
        else if (cmd == "stop")
            lambench::db::stop(dir);
        else if (cmd == "destroy")
            lambench::db::destroy(dir);
        else {
            std::fprintf(stderr, "db_tool: unknown command '%s'\n", cmd.c_str());
            return 2;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "db_tool: %s\n", e.what());
        return 1;
    }
    return 0;
}
