// A running `lambench serve` for tests: started as a child process with a state directory of its
// own, its address taken from the ready line, stopped with SIGTERM (SIGKILL after a grace) and
// always reaped. Everything the service prints other than the ready line ends up on this
// process's stderr: what came before the ready line at once, the rest when it stops.
#pragma once

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "posix/child_process.hpp"
#include "posix/unique_fd.hpp"
#include "support/files.hpp"
#include "support/http_client.hpp"

extern char** environ;

namespace lambench::test_support {

// The ready line, "lambench serve: listening on <url>" with <url> = http://<bound address>:<port>
// (an IPv6 address in brackets).
struct ready_line {
    std::string url;
    int port = 0;
};

// nullopt for any other line.
inline std::optional<ready_line> parse_ready_line(std::string_view line) {
    constexpr std::string_view marker = "lambench serve: listening on ";
    if (line.substr(0, marker.size()) != marker) return std::nullopt;
    std::string_view url = line.substr(marker.size());
    while (!url.empty() && (url.back() == '\r' || url.back() == ' ')) url.remove_suffix(1);
    const auto scheme = url.find("://");
    const auto colon = url.rfind(':');
    if (scheme == std::string_view::npos || colon <= scheme + 3 || colon + 1 == url.size())
        return std::nullopt;
    if (url.substr(colon + 1).find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    const std::string_view host = url.substr(scheme + 3, colon - scheme - 3);
    if (host.front() == '[' ? host.back() != ']' : host.find(':') != std::string_view::npos)
        return std::nullopt;
    ready_line r;
    r.url = std::string(url);
    r.port = std::stoi(std::string(url.substr(colon + 1)));
    if (r.port <= 0 || r.port > 65535) return std::nullopt;
    return r;
}

struct serve_options {
    std::string listen = "127.0.0.1:0";
    // Written to <dir>/service.toml and passed as --config when set.
    std::optional<std::string> config_toml;
    // --state-dir; empty: <dir>/state.
    fs::path state_dir;
    std::vector<std::string> extra_args;     // after the others
    std::map<std::string, std::string> env;  // set on top of this process's environment
    std::chrono::seconds ready_timeout{20};  // for the ready line
    std::chrono::seconds stop_grace{10};     // SIGTERM → SIGKILL
};

class serve_process {
  public:
    // Throws std::runtime_error (with what the service printed) when no ready line comes.
    explicit serve_process(const std::string& lambench_bin, serve_options opts = {})
        : state_(opts.state_dir.empty() ? tmp_.path() / "state" : opts.state_dir),
          stop_grace_(opts.stop_grace) {
        posix::spawn_options so;
        so.argv = {lambench_bin, "serve", "--listen", opts.listen};
        if (opts.config_toml) {
            const fs::path cfg = tmp_.path() / "service.toml";
            write_file(cfg, *opts.config_toml);
            so.argv.insert(so.argv.end(), {"--config", cfg.string()});
        }
        so.argv.insert(so.argv.end(), {"--state-dir", state_.string()});
        so.argv.insert(so.argv.end(), opts.extra_args.begin(), opts.extra_args.end());
        if (!opts.env.empty()) {
            std::map<std::string, std::string> env;
            for (char** e = environ; *e != nullptr; ++e) {
                std::string_view kv(*e);
                auto eq = kv.find('=');
                if (eq != std::string_view::npos && eq > 0)
                    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
            }
            for (const auto& [k, v] : opts.env) env[k] = v;
            so.env = std::move(env);
        }
        // Its stdout and stderr go to a file, not a pipe: nothing in this process has to keep
        // reading it (a reader woken by every line the service prints would change the timing
        // of what the tests measure).
        const fs::path output = tmp_.path() / "serve.out";
        so.output = posix::output_to::file;
        so.output_file = output.string();
        so.new_process_group = false;  // signals reach the service itself, as a shell's would
        child_ = posix::child_process::spawn(so);
        output_ = posix::unique_fd(::open(output.c_str(), O_RDONLY | O_CLOEXEC));
        if (!output_)
            throw std::system_error(errno, std::generic_category(), "open " + output.string());

        std::string pending, printed;
        const auto deadline = std::chrono::steady_clock::now() + opts.ready_timeout;
        for (bool exited = false; !exited && std::chrono::steady_clock::now() < deadline;) {
            exited = child_.try_wait().has_value();  // then what it printed is all there
            const std::string more = read_more();
            if (more.empty() && !exited) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
                continue;
            }
            pending += more;
            for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
                const std::string line = pending.substr(0, nl);
                pending.erase(0, nl + 1);
                if (auto ready = parse_ready_line(line)) {
                    first_line_ = line;
                    url_ = ready->url;
                    port_ = ready->port;
                    to_stderr(pending);
                    return;
                }
                to_stderr(line + "\n");
                printed += line + "\n";
            }
        }
        to_stderr(pending);
        printed += pending;
        while (!printed.empty() && printed.back() == '\n') printed.pop_back();
        stop();
        throw std::runtime_error("lambench serve did not start: '" + printed + "'");
    }
    ~serve_process() { stop(); }
    serve_process(const serve_process&) = delete;
    serve_process& operator=(const serve_process&) = delete;

    // SIGTERM and wait; then SIGKILL. The exit code, 128 + the signal that ended it, or -1 when it
    // had to be killed. What the service printed after its ready line goes to stderr now. Later
    // calls return the same.
    int stop() noexcept {
        if (!stopped_ && child_.pid() > 0) {
            stopped_ = true;
            try {
                ::kill(child_.pid(), SIGTERM);
                const auto deadline = std::chrono::steady_clock::now() + stop_grace_;
                std::optional<posix::exit_status> st;
                while (!(st = child_.try_wait()) && std::chrono::steady_clock::now() < deadline)
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                if (st) {
                    exit_code_ = st->shell_code();
                } else {
                    child_.kill();
                    child_.wait();
                    exit_code_ = -1;
                }
            } catch (const std::exception&) {
                exit_code_ = -1;  // reaped elsewhere: nothing left to stop
            }
            try {
                to_stderr(read_more());
            } catch (const std::exception&) {
            }
        }
        return exit_code_;
    }

    // -1 once stopped.
    pid_t pid() const { return stopped_ ? -1 : child_.pid(); }
    const std::string& url() const { return url_; }
    int port() const { return port_; }
    const std::string& first_line() const { return first_line_; }  // the ready line
    const fs::path& state_dir() const { return state_; }
    const fs::path& dir() const { return tmp_.path(); }  // scratch, removed with this object

    std::string invoke_url(const std::string& name) const {
        return url_ + "/2015-03-31/functions/" + name + "/invocations";
    }
    // RequestResponse with the log tail requested (X-Amz-Log-Type: Tail).
    http_result invoke(const std::string& name, const std::string& payload = "{}",
                       std::vector<std::string> headers = {}) const {
        headers.push_back("X-Amz-Log-Type: Tail");
        return http("POST", invoke_url(name), payload, headers);
    }

  private:
    // What the service printed since the last call.
    std::string read_more() {
        std::string out;
        char buf[4096];
        for (;;) {
            const ssize_t n = ::read(output_.get(), buf, sizeof buf);
            if (n > 0) {
                out.append(buf, static_cast<std::size_t>(n));
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                return out;
            }
        }
    }

    // A closed stderr (`| head`) drops the output instead of killing the tests with SIGPIPE
    // half way through a clean-up: the signal is blocked for the write and a pending one taken.
    static void to_stderr(std::string_view s) {
        sigset_t pipe_only, old;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
        bool broken = false;
        while (!s.empty()) {
            const ssize_t n = ::write(STDERR_FILENO, s.data(), s.size());
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                broken = n < 0 && errno == EPIPE;
                break;
            }
            s.remove_prefix(static_cast<std::size_t>(n));
        }
        if (broken && sigismember(&old, SIGPIPE) == 0) {
            const timespec now{};
            while (::sigtimedwait(&pipe_only, nullptr, &now) < 0 && errno == EINTR) {
            }
        }
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }

    temp_dir tmp_{"lambench-serve"};  // declared first: removed after the child is gone
    fs::path state_;
    std::chrono::seconds stop_grace_;
    posix::child_process child_;
    posix::unique_fd output_;
    bool stopped_ = false;
    int exit_code_ = -1;
    int port_ = 0;
    std::string url_, first_line_;
};

}  // namespace lambench::test_support
