// `lambench serve`: run the local Lambda service until SIGINT/SIGTERM.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "command.hpp"
#include "service/config.hpp"
#include "service/service.hpp"

namespace {

namespace svc = lambench::service;

int serve_main(int argc, char** argv) {
    CLI::App app{
        "Run the local Lambda service (Lambda REST API + Runtime API, cgroup resource model)",
        "lambench serve"};
    std::string listen, config_file, state_dir, init_cpu, auth, credentials_file, region;
    double idle_timeout = 0;
    long update_delay_ms = -1;
    bool insecure = false;
    app.add_option("--listen", listen,
                   "HOST:PORT to listen on (default 127.0.0.1:9000; port 0 = any)");
    app.add_option("--config", config_file, "TOML file: [service] settings and [[function]]s")
        ->check(CLI::ExistingFile);
    app.add_option("--state-dir", state_dir,
                   "state directory (default $LAMBENCH_STATE_DIR, else ~/.local/state/lambench)");
    app.add_option("--init-cpu", init_cpu, "CPU during init: full (default) or proportional")
        ->check(CLI::IsMember({"full", "proportional"}));
    app.add_option("--idle-timeout", idle_timeout,
                   "seconds before an idle sandbox is reaped (default 600)")
        ->check(CLI::PositiveNumber);
    app.add_option("--update-delay", update_delay_ms,
                   "milliseconds a created function stays Pending and an updated one "
                   "InProgress, as on Lambda (default 0 = at once)")
        ->check(CLI::Range(0L, 600000L));
    app.add_flag(
        "--insecure", insecure,
        "allow a --listen address that is not loopback (anyone who reaches it can run code)");
    app.add_option("--region", region,
                   "the region in ARNs and in the SigV4 scope requests must be signed for "
                   "(default us-east-1)");
    app.add_option("--auth", auth,
                   "none (default) or sigv4: every Lambda API request must be signed (AWS SigV4) "
                   "with a known key; allows a non-loopback --listen")
        ->check(CLI::IsMember({"none", "sigv4"}));
    app.add_option("--credentials", credentials_file,
                   "with --auth sigv4: the keys to accept, an AWS credentials file (each [section] "
                   "one aws_access_key_id/aws_secret_access_key pair; default: the AWS credential "
                   "chain's one key)")
        ->check(CLI::ExistingFile);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        svc::service_config cfg;
        if (!config_file.empty()) cfg = svc::load_config(config_file);
        if (!listen.empty()) cfg.listen = listen;
        if (!state_dir.empty()) cfg.state_dir = state_dir;
        if (!init_cpu.empty())
            cfg.init_cpu =
                init_cpu == "full" ? svc::init_cpu_mode::full : svc::init_cpu_mode::proportional;
        if (idle_timeout > 0) cfg.idle_timeout_s = idle_timeout;
        if (insecure) cfg.insecure = true;
        if (!region.empty()) cfg.region = region;
        if (!auth.empty()) cfg.auth = auth;
        if (!credentials_file.empty()) cfg.credentials_file = credentials_file;
        if (update_delay_ms >= 0) cfg.update_delay_s = static_cast<double>(update_delay_ms) / 1000;
        svc::service s(std::move(cfg));
        // The driver and the tests parse exactly this line ("listening on " + the bound URL).
        std::printf("lambench serve: listening on %s\n", s.url().c_str());
        std::fflush(stdout);
        s.run();
        std::fprintf(stderr, "lambench serve: stopped\n");
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lambench serve: %s\n", e.what());
        return 1;
    }
}

const lambench::cli::registrar reg{"serve", "run the local Lambda service", serve_main};

}  // namespace
