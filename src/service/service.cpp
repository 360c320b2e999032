#include "service.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>

#include "auth.hpp"
#include "event_store.hpp"
#include "function_store.hpp"
#include "http_server.hpp"
#include "isolation.hpp"
#include "lambda_api.hpp"
#include "logs.hpp"
#include "posix/file.hpp"
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

// run-<pid> directories of services that are gone (killed: nobody removed their unpacked code).
// Holding the state directory's lock, no other service of it is running.
void remove_stale_run_dirs(const fs::path& base) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(base, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind("run-", 0) != 0 || name == "run-" + std::to_string(::getpid())) continue;
        std::error_code rm;
        fs::remove_all(it->path(), rm);
        if (rm)
            std::fprintf(stderr, "lambench serve: remove %s: %s\n", it->path().c_str(),
                         rm.message().c_str());
    }
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
    std::optional<posix::file_lock> lock;  // one service per state directory
    bool partial = false;
    std::shared_ptr<isolation> sandbox_isolation;
    std::unique_ptr<log_store> logs;
    std::unique_ptr<function_store> functions;
    std::unique_ptr<event_store> events;
    std::unique_ptr<registry> reg;
    std::unique_ptr<scheduler> sched;
    std::unique_ptr<lambda_api> api;
    std::unique_ptr<http::server> server;
    asio::signal_set stop_signals{io, SIGINT, SIGTERM};
    asio::signal_set child_signal{io, SIGCHLD};
    asio::steady_timer drain_timer{io};
    std::chrono::steady_clock::time_point drain_deadline;
    std::size_t in_flight_at_drain = 0;
    bool draining = false, forced = false;

    void watch_children() {
        child_signal.async_wait([this](boost::system::error_code ec, int) {
            if (ec) return;
            sched->reap_children();
            watch_children();
        });
    }

    void restore(const std::vector<function_spec>& configured);
    void begin_drain();
    void poll_drain();
    void finish_shutdown();
};

namespace {
void say(const std::string& line) {
    std::fprintf(stderr, "lambench serve: %s\n", line.c_str());
}
std::string seconds_text(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", s);
    return buf;
}
}  // namespace

// Functions created through the API by an earlier run come back first (their generations are
// kept), then the config file's are created; a name in both is the config file's: the saved one
// is deleted. Events are restored last, once every function they may name exists.
void service::impl::restore(const std::vector<function_spec>& configured) {
    std::vector<std::string> problems;
    auto saved = functions->load(problems);
    for (auto& p : problems) say("state: " + p);
    std::size_t restored = 0;
    for (auto& f : saved) {
        bool shadowed = std::any_of(configured.begin(), configured.end(),
                                    [&](const function_spec& c) { return c.name == f.name; });
        if (shadowed) {
            say("function '" + f.name + "' of the config file replaces the one created through " +
                "the API in an earlier run (that one is deleted)");
            functions->remove(f.name);
            continue;
        }
        try {
            code_source code;
            code.zip_bytes = std::move(f.zip_bytes);
            reg->restore(api->spec_from_request(f.config), code, f.config, f.generation,
                         f.last_modified);
            ++restored;
        } catch (const std::exception& e) {
            say("function '" + f.name + "' not restored: " + e.what() +
                " (it stays saved for a later start)");
        }
    }
    reg->persist_to(functions.get());
    if (restored > 0)
        say("restored " + std::to_string(restored) + " function(s) created through the API, from " +
            functions->dir().string());
}

void service::impl::begin_drain() {
    draining = true;
    api->set_draining();
    server->drain();
    sched->drain();
    in_flight_at_drain = sched->in_flight();
    drain_deadline = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(cfg.shutdown_grace_s));
    if (in_flight_at_drain > 0)
        say("stopping: waiting up to " + seconds_text(cfg.shutdown_grace_s) + " s for " +
            std::to_string(in_flight_at_drain) +
            " invocation(s) in flight (signal again to stop at once)");
    stop_signals.async_wait([this](boost::system::error_code ec, int) {
        if (ec) return;
        forced = true;
        io.stop();
    });
    poll_drain();
}

void service::impl::poll_drain() {
    bool idle = sched->in_flight() == 0 && server->answering() == 0;
    if (idle || std::chrono::steady_clock::now() >= drain_deadline) {
        io.stop();
        return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(10));
    drain_timer.async_wait([this](boost::system::error_code ec) {
        if (!ec) poll_drain();
    });
}

// After the loop: whatever is still in flight is cut off (its sandbox stopped; an event among it
// stays saved and runs again), the event journal is compacted to what is pending, and one line
// says what became of every invocation.
void service::impl::finish_shutdown() {
    const std::size_t left = sched->in_flight(), left_events = sched->in_flight_events();
    const std::size_t finished = in_flight_at_drain > left ? in_flight_at_drain - left : 0;
    server->close();
    sched->shutdown();
    std::string line =
        "shutdown: " + std::to_string(finished) + " in-flight invocation(s) finished";
    if (left > 0) {
        line += ", " + std::to_string(left) + " cut off " +
                (forced ? std::string("by a second signal")
                        : "after the " + seconds_text(cfg.shutdown_grace_s) + " s grace");
        if (left_events > 0)
            line += " (" + std::to_string(left_events) + " of them events, saved to run again)";
    }
    try {
        events->close();
        const std::size_t pending = events->pending();
        if (pending == 0)
            line += "; no queued events";
        else
            line += "; " + std::to_string(pending) + " queued event(s) saved to " +
                    events->path().string() + ", they will run on the next start";
    } catch (const std::exception& e) {
        line += "; the queued events could not be saved (" + std::string(e.what()) +
                "): " + std::to_string(events->pending()) + " may be lost";
    }
    say(line);
}

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
    fs::create_directories(base);
    // The journals have one writer: a second service on the same state directory would interleave
    // its records with ours.
    m.lock = posix::file_lock::try_acquire(base / "lock");
    if (!m.lock)
        throw std::runtime_error("another lambench serve is using the state directory " +
                                 m.cfg.state_dir.string() +
                                 "; stop it, or give this one its own --state-dir");
    remove_stale_run_dirs(base);
    m.run_dir = base / ("run-" + std::to_string(::getpid()));
    fs::remove_all(m.run_dir);
    fs::create_directories(m.run_dir / "code");
    // Unpacked code and the sandboxes' passwd files: for the service's eyes (a jailed sandbox
    // sees its own code at /var/task only).
    fs::permissions(m.run_dir, fs::perms::owner_all);
    m.sandbox_isolation =
        std::make_shared<isolation>(m.cfg.sandbox_isolation, m.cfg.state_dir, m.run_dir);
    m.logs = std::make_unique<log_store>(base / "logs");
    m.functions = std::make_unique<function_store>(base / "functions");
    m.events = std::make_unique<event_store>(m.io, base / "events");
    m.reg = std::make_unique<registry>(m.run_dir / "code", m.cfg.region);

    sandbox_settings ss;
    ss.region = m.cfg.region;
    ss.init_cpu = m.cfg.init_cpu;
    ss.init_timeout_s = m.cfg.init_timeout_s;
    ss.freeze_delay_s = m.cfg.freeze_delay_s;
    ss.report_wait_s = m.cfg.report_wait_s;
    ss.stream = {m.cfg.stream_max_bytes, m.cfg.stream_burst_bytes, m.cfg.stream_rate};
    ss.partial_model = m.partial;
    ss.launchers = m.cfg.launchers;
    ss.group_prefix = "lambench-" + std::to_string(::getpid()) + "-";
    ss.sandbox_isolation = m.sandbox_isolation;
    ss.credentials = m.cfg.credentials;
    m.sched = std::make_unique<scheduler>(m.io, *m.reg, m.cfg, ss, *m.logs, m.events.get());
    m.api = std::make_unique<lambda_api>(*m.reg, *m.sched, m.cfg, m.partial);
    m.api->set_isolation(m.sandbox_isolation->support());

    m.restore(m.cfg.functions);
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

    std::shared_ptr<const sigv4_auth> auth;
    if (m.cfg.auth == "sigv4") {
        std::string source;
        auto keys = load_auth_keys(m.cfg.credentials_file, source);
        auth = std::make_shared<sigv4_auth>(keys, m.cfg.region);
        std::fprintf(stderr,
                     "lambench serve: SigV4 authentication on: %zu key%s from %s; requests must "
                     "be signed for region %s, service lambda\n",
                     auth->key_count(), auth->key_count() == 1 ? "" : "s", source.c_str(),
                     m.cfg.region.c_str());
    } else if (m.cfg.auth != "none") {
        throw std::runtime_error("--auth must be none or sigv4, not '" + m.cfg.auth + "'");
    } else if (!m.cfg.credentials_file.empty()) {
        throw std::runtime_error("--credentials is only used with --auth sigv4");
    }

    {
        std::vector<std::string> problems;
        auto pending = m.events->load(problems);
        for (auto& p : problems) say("state: " + p);
        std::size_t dropped = m.sched->restore_events(pending);
        if (dropped > 0)
            say(std::to_string(dropped) +
                " saved event(s) of functions that no longer exist were dropped");
        if (pending.size() > dropped)
            say(std::to_string(pending.size() - dropped) + " queued event(s) restored from " +
                m.events->path().string() + "; they run now");
    }

    // Set after the config file's functions are created, so those are Active from the start.
    m.reg->set_update_delay(std::chrono::milliseconds(std::llround(m.cfg.update_delay_s * 1000)));

    auto listen_ep = parse_listen(m.cfg.listen);
    if (!listen_ep.address().is_loopback() && !m.cfg.insecure && !auth)
        throw std::runtime_error(
            "refusing to listen on " + m.cfg.listen +
            ": it is not a loopback address, and anyone who reaches the port can "
            "create and run code here; pass --auth sigv4 to require signed requests, or "
            "--insecure to do it anyway");
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
    if (auth) opts.screen = [auth](const http::request& header) { auth->check_head(header); };
    m.server = std::make_unique<http::server>(
        m.io, listen_ep,
        [api, auth](http::request&& req, const http::responder& reply) {
            if (auth) auth->check(req);  // api_error: the server answers it
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
        if (!ec) m.begin_drain();
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
    m.finish_shutdown();
}

}  // namespace lambench::service
