// `lambench db start|stop|status|url|destroy`: the embedded PostgreSQL of the items use case.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "command.hpp"
#include "db/embedded.hpp"
#include "posix/state_dir.hpp"

namespace {

int db_main(int argc, char** argv) {
    CLI::App app{"Manage the embedded PostgreSQL server that the items functions query",
                 "lambench db"};
    app.require_subcommand(1);
    std::string state_dir;
    app.add_option("--state-dir", state_dir,
                   "state directory (default $LAMBENCH_STATE_DIR, else ~/.local/state/lambench)")
        ->envname("LAMBENCH_STATE_DIR");
    auto* start =
        app.add_subcommand("start", "initialise (first time), start, seed; print the URL");
    auto* stop = app.add_subcommand("stop", "stop the server (pg_ctl stop -m fast)");
    auto* status =
        app.add_subcommand("status", "print running/stopped, port, URL and data directory");
    auto* url =
        app.add_subcommand("url", "print the postgresql:// URL (starts the server if needed)");
    auto* destroy = app.add_subcommand("destroy", "stop the server and delete the cluster");
    for (auto* sub : {start, stop, status, url, destroy}) {
        sub->add_option("--state-dir", state_dir, "state directory");
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        const std::string dir =
            state_dir.empty() ? lambench::posix::default_state_dir().string() : state_dir;
        if (start->parsed() || url->parsed()) {
            std::printf("%s\n", lambench::db::ensure_running(dir).c_str());
        } else if (stop->parsed()) {
            lambench::db::stop(dir);
        } else if (destroy->parsed()) {
            lambench::db::destroy(dir);
        } else if (status->parsed()) {
            auto s = lambench::db::get_status(dir);
            std::printf("state:    %s\nport:     %d\nurl:      %s\ndata_dir: %s\n",
                        s.running ? "running" : "stopped", s.port,
                        s.url.empty() ? "-" : s.url.c_str(), s.data_dir.c_str());
            return s.running ? 0 : 3;  // as pg_ctl status: 3 = not running
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lambench db: %s\n", e.what());
        return 1;
    }
    return 0;
}

const lambench::cli::registrar reg{
    "db", "embedded PostgreSQL for the items functions: start|stop|status|url", db_main};

}  // namespace
