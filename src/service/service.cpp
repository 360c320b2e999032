#include "service.hpp"

#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "http_server.hpp"
#include "lambda_api.hpp"
#include "logs.hpp"
#include "posix/state_dir.hpp"
#include "registry.hpp"
#include "resources.hpp"
#include "scheduler.hpp"

namespace lambench::service {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

asio::ip::tcp::endpoint parse_listen(const std::string& listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos)
        throw std::runtime_error("--listen must be HOST:PORT, got '" + listen + "'");
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    int port = 0;
    try {
        std::size_t used = 0;
        port = std::stoi(listen.substr(colon + 1), &used);
        if (used != listen.size() - colon - 1) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
        throw std::runtime_error("--listen: bad port in '" + listen + "'");
    }
    if (port < 0 || port > 65535)
        throw std::runtime_error("--listen: port out of range in '" + listen + "'");
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec)
        throw std::runtime_error("--listen: bad address '" + host +
                                 "' (use an IP, e.g. 127.0.0.1)");
    return {addr, static_cast<unsigned short>(port)};
}

bool require_cgroups() {
    const char* v = std::getenv("LAMBENCH_REQUIRE_CGROUPS");
    return v && std::string(v) == "1";
}

}  // namespace

struct service::impl {
    service_config cfg;
    asio::io_context io{1};
    fs::path run_dir;
    bool partial = false;
    std::unique_ptr<log_store> logs;
    std::unique_ptr<registry> reg;
    std::unique_ptr<scheduler> sched;
    std::unique_ptr<lambda_api> api;
    std::unique_ptr<http::server> server;
    asio::signal_set stop_signals{io, SIGINT, SIGTERM};
    asio::signal_set child_signal{io, SIGCHLD};

    void watch_children() {
        child_signal.async_wait([this](boost::system::error_code ec, int) {
            if (ec) return;
            sched->reap_children();
            watch_children();
        });
    }
};

service::service(service_config cfg) : impl_(std::make_unique<impl>()) {
    auto& m = *impl_;
    m.cfg = std::move(cfg);
    const auto& cg = detect_cgroups();
    if (!cg.complete()) {
        if (require_cgroups())
            throw std::runtime_error("cgroups incomplete (" + cg.describe() +
                                     ") and LAMBENCH_REQUIRE_CGROUPS=1; run as root with cgroup "
                                     "cpu, memory and freezer controllers writable");
        std::fprintf(stderr, "lambench serve: warning: resource model partial: %s\n",
                     cg.describe().c_str());
        m.partial = true;
    }
    if (m.cfg.state_dir.empty()) m.cfg.state_dir = posix::default_state_dir();
    fs::path base = m.cfg.state_dir / "service";
    m.run_dir = base / ("run-" + std::to_string(::getpid()));
    fs::remove_all(m.run_dir);
    fs::create_directories(m.run_dir / "code");
    m.logs = std::make_unique<log_store>(base / "logs");
    m.reg = std::make_unique<registry>(m.run_dir / "code", m.cfg.region);

    sandbox_settings ss;
    ss.region = m.cfg.region;
    ss.init_cpu = m.cfg.init_cpu;
    ss.init_timeout_s = m.cfg.init_timeout_s;
    ss.freeze_delay_s = m.cfg.freeze_delay_s;
    ss.partial_model = m.partial;
    ss.launchers = m.cfg.launchers;
    ss.group_prefix = "lambench-" + std::to_string(::getpid()) + "-";
    m.sched = std::make_unique<scheduler>(m.io, *m.reg, m.cfg, ss, *m.logs);
    m.api = std::make_unique<lambda_api>(*m.reg, *m.sched, m.cfg, m.partial);

    for (auto& f : m.cfg.functions) {
        if (!is_provided_runtime(f.runtime) && !m.cfg.launchers.count(f.runtime))
            throw std::runtime_error("function '" + f.name + "': runtime '" + f.runtime +
                                     "' needs a launcher in [service.launchers]");
        code_source code;
        fs::path p(f.code);
        if (fs::is_directory(p)) {
            code.directory = p;
        } else {
            std::ifstream in(p, std::ios::binary);
            if (!in)
                throw std::runtime_error("function '" + f.name + "': cannot read code '" + f.code +
                                         "'");
            code.zip_bytes.assign(std::istreambuf_iterator<char>(in), {});
        }
        try {
            m.reg->create(f, code);
        } catch (const api_error& e) {
            throw std::runtime_error("function '" + f.name + "': " + e.what());
        }
    }

    auto listen_ep = parse_listen(m.cfg.listen);
    if (!listen_ep.address().is_loopback() && !m.cfg.insecure)
        throw std::runtime_error(
            "refusing to listen on " + m.cfg.listen +
            ": it is not a loopback address, and anyone who reaches the port can "
            "create and run code here; pass --insecure to do it anyway");
    lambda_api* api = m.api.get();
    auto secs = [](double s) { return http::server_options::duration(std::llround(s * 1000)); };
    http::server_options opts;
    opts.style = http::error_style::lambda_api;
    opts.body_limit = 80ull * 1024 * 1024;
    opts.name = "Lambda API";
    opts.header_timeout = secs(m.cfg.header_timeout_s);
    opts.body_timeout = secs(m.cfg.body_timeout_s);
    opts.body_min_rate = m.cfg.body_min_rate;
    opts.idle_timeout = secs(m.cfg.connection_idle_timeout_s);
    opts.max_connections = m.cfg.max_connections;
    m.server = std::make_unique<http::server>(
        m.io, listen_ep,
        [api](http::request&& req, const http::responder& reply) {
            api->handle(std::move(req), reply);
        },
        std::move(opts));
}

service::~service() {
    auto& m = *impl_;
    if (m.server) m.server->close();
    if (m.sched) m.sched->shutdown();
    m.sched.reset();
    std::error_code ec;
    fs::remove_all(m.run_dir, ec);
}

unsigned short service::port() const {
    return impl_->server->port();
}

std::string service::url() const {
    auto addr = impl_->server->address();
    std::string host = addr.to_string();
    if (addr.is_v6()) host = "[" + host + "]";
    return "http://" + host + ":" + std::to_string(port());
}

void service::stop() {
    asio::post(impl_->io, [this] { impl_->io.stop(); });
}

void service::run() {
    auto& m = *impl_;
    m.stop_signals.async_wait([&m](boost::system::error_code ec, int) {
        if (!ec) m.io.stop();
    });
    m.watch_children();
    // The last line of defence: a handler that throws (a bug) is logged and the loop goes on;
    // one bad request must not end every invocation in flight.
    for (;;) {
        try {
            m.io.run();
            break;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "lambench serve: internal error (service continues): %s\n",
                         e.what());
        } catch (...) {
            std::fprintf(stderr, "lambench serve: internal error (service continues)\n");
        }
    }
    m.server->close();
    m.sched->shutdown();
}

}  // namespace lambench::service
