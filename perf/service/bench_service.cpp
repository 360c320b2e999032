// bench_service: what the local Lambda service itself costs.
//   1. Invoke API round trip of a no-op function (p50, p99) next to a raw loopback HTTP
//      request/response round trip measured in the same run (target: ratio <= 3).
//   2. Throughput with 2 sandboxes and 2 concurrent keep-alive clients (target >= 5,000/s).
//   3. Service RSS idle with 10 functions (target <= 30 MB) and its overhead per live sandbox.
// Usage: bench_service [--requests N] [--seconds S] [--json FILE]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

// ---- a minimal blocking keep-alive HTTP/1.1 client (the same code measures both paths) ----
class client {
  public:
    explicit client(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
            throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
    }
    ~client() { ::close(fd_); }
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // Sends one request, reads the whole response; returns the status code.
    int call(const std::string& request) {
        const char* p = request.data();
        std::size_t left = request.size();
        while (left) {
            ssize_t n = ::send(fd_, p, left, MSG_NOSIGNAL);
            if (n <= 0) throw std::runtime_error("send failed");
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        buf_.clear();
        std::size_t hdr_end;
        char tmp[8192];
        while ((hdr_end = buf_.find("\r\n\r\n")) == std::string::npos) {
            ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
            if (n <= 0) throw std::runtime_error("connection closed");
            buf_.append(tmp, static_cast<std::size_t>(n));
        }
        std::size_t len = 0;
        auto cl = find_ci(buf_, "content-length:");
        if (cl != std::string::npos && cl < hdr_end)
            len = std::strtoul(buf_.c_str() + cl + 15, nullptr, 10);
        while (buf_.size() < hdr_end + 4 + len) {
            ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
            if (n <= 0) throw std::runtime_error("connection closed in body");
            buf_.append(tmp, static_cast<std::size_t>(n));
        }
        // A failed function still answers 200: a benchmark of failures measures nothing.
        if (auto fe = find_ci(buf_, "x-amz-function-error:");
            fe != std::string::npos && fe < hdr_end)
            throw std::runtime_error("function error: " + buf_.substr(hdr_end + 4, 300));
        return std::atoi(buf_.c_str() + 9);
    }

  private:
    static std::size_t find_ci(const std::string& h, const char* needle) {
        std::size_t n = std::strlen(needle);
        for (std::size_t i = 0; i + n <= h.size(); ++i)
            if (::strncasecmp(h.c_str() + i, needle, n) == 0) return i;
        return std::string::npos;
    }
    int fd_ = -1;
    std::string buf_;
};

// ---- the baseline: a raw loopback HTTP server that answers a fixed response ----
class raw_server {
  public:
    raw_server() {
        lfd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(lfd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(lfd_, 16) != 0)
            throw std::runtime_error("bind/listen failed");
        socklen_t len = sizeof a;
        ::getsockname(lfd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~raw_server() {
        ::shutdown(lfd_, SHUT_RDWR);
        ::close(lfd_);
        thread_.join();
    }
    int port() const { return port_; }

  private:
    void serve() {
        int fd = ::accept4(lfd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) return;
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        const std::string resp =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
        std::string buf;
        char tmp[8192];
        for (;;) {
            ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
            if (n <= 0) break;
            buf.append(tmp, static_cast<std::size_t>(n));
            std::size_t end;
            while ((end = buf.find("\r\n\r\n")) != std::string::npos) {
                std::size_t len = 0;
                auto cl = buf.find("Content-Length: ");
                if (cl != std::string::npos && cl < end)
                    len = std::strtoul(buf.c_str() + cl + 16, nullptr, 10);
                if (buf.size() < end + 4 + len) break;
                buf.erase(0, end + 4 + len);
                if (::send(fd, resp.data(), resp.size(), MSG_NOSIGNAL) < 0) break;
            }
        }
        ::close(fd);
    }
    int lfd_ = -1, port_ = 0;
    std::thread thread_;
};

// ---- a `lambench serve` child ----
class service {
  public:
    service(const fs::path& dir, const std::string& config) {
        fs::create_directories(dir);
        std::ofstream(dir / "bench.toml") << config;
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
        pid_ = ::fork();
        if (pid_ == 0) {
            ::dup2(fds[1], 1);
            std::string cfg = (dir / "bench.toml").string(), st = (dir / "state").string();
            ::execl(LAMBENCH_BIN, LAMBENCH_BIN, "serve", "--listen", "127.0.0.1:0", "--config",
                    cfg.c_str(), "--state-dir", st.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(fds[1]);
        std::string line;
        char c;
        while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
        ::close(fds[0]);
        auto pos = line.rfind(':');
        if (line.rfind("lambench serve: listening on", 0) != 0 || pos == std::string::npos)
            throw std::runtime_error("service did not start: " + line);
        port_ = std::atoi(line.c_str() + pos + 1);
    }
    ~service() {
        ::kill(pid_, SIGTERM);
        int st;
        ::waitpid(pid_, &st, 0);
    }
    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    long rss_kb() const {
        std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
        return 0;
    }

  private:
    pid_t pid_ = -1;
    int port_ = 0;
};

std::string invoke_request(const std::string& fn, const std::string& payload = "{}") {
    return "POST /2015-03-31/functions/" + fn +
           "/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Content-Type: application/json\r\nContent-Length: " +
           std::to_string(payload.size()) + "\r\n\r\n" + payload;
}

struct percentiles {
    double p50 = 0, p99 = 0, mean = 0;
};

percentiles measure(client& c, const std::string& req, int n) {
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        auto t0 = clock_type::now();
        int status = c.call(req);
        auto t1 = clock_type::now();
        if (status != 200) throw std::runtime_error("unexpected status " + std::to_string(status));
        us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::sort(us.begin(), us.end());
    percentiles p;
    p.p50 = us[us.size() / 2];
    p.p99 = us[std::min(us.size() - 1,
                        static_cast<std::size_t>(static_cast<double>(us.size()) * 0.99))];
    double sum = 0;
    for (double v : us) sum += v;
    p.mean = sum / static_cast<double>(us.size());
    return p;
}

std::string fn_block(const std::string& name, const fs::path& code) {
    return "[[function]]\nname = \"" + name + "\"\nhandler = \"echo\"\nmemory = 1769\ncode = \"" +
           code.string() + "\"\n";
}

long sandbox_rss_kb(pid_t service_pid) {
    // Sum the RSS of the service's children (the sandbox processes).
    long total = 0;
    for (auto& e : fs::directory_iterator("/proc")) {
        std::string name = e.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(e.path() / "status");
        std::string line;
        long ppid = -1, rss = 0;
        while (std::getline(in, line)) {
            if (line.rfind("PPid:", 0) == 0) ppid = std::atol(line.c_str() + 5);
            if (line.rfind("VmRSS:", 0) == 0) rss = std::atol(line.c_str() + 6);
        }
        if (ppid == service_pid) total += rss;
    }
    return total;
}

}  // namespace

int main(int argc, char** argv) {
    int requests = 20000;
    double seconds = 3;
    std::string json_out;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--requests" && i + 1 < argc)
            requests = std::atoi(argv[++i]);
        else if (a == "--seconds" && i + 1 < argc)
            seconds = std::atof(argv[++i]);
        else if (a == "--json" && i + 1 < argc)
            json_out = argv[++i];
        else {
            std::fprintf(stderr,
                         "usage: bench_service [--requests N] [--seconds S] [--json FILE]\n");
            return 2;
        }
    }
    char tmpl[] = "/tmp/lambench-bench-service-XXXXXX";
    if (!::mkdtemp(tmpl)) return 1;
    fs::path dir = tmpl;
    fs::path code = dir / "code";
    fs::create_directories(code);
    fs::copy_file(BENCH_FN_BIN, code / "bootstrap");
    // The sandbox runs as an unprivileged user (sbx_user1051) when the service is root.
    const auto rx = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                    fs::perms::others_read | fs::perms::others_exec;
    fs::permissions(dir, rx);
    fs::permissions(code, rx);
    fs::permissions(code / "bootstrap", rx);

    std::string config = "[service]\nconcurrency = 2\nidle_timeout = 600\n";
    for (int i = 0; i < 10; ++i) config += fn_block("fn" + std::to_string(i), code);
    std::ostringstream json;
    try {
        service svc(dir / "svc", config);
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        long rss_idle = svc.rss_kb();

        // 1. round trips, interleaved in blocks so that drift hits both alike
        raw_server raw;
        client raw_c(raw.port()), svc_c(svc.port());
        const std::string raw_req = invoke_request("fn0");
        for (int i = 0; i < 500; ++i) {
            raw_c.call(raw_req);
            svc_c.call(invoke_request("fn0"));
        }
        percentiles pr = measure(raw_c, raw_req, requests);
        percentiles pi = measure(svc_c, invoke_request("fn0"), requests);

        // 2. throughput: 2 sandboxes of fn1, 2 concurrent keep-alive clients
        std::atomic<long> done{0}, errors{0};
        std::atomic<bool> stop{false};
        {
            std::vector<std::thread> ts;
            for (int t = 0; t < 2; ++t)
                ts.emplace_back([&] {
                    client c(svc.port());
                    auto req = invoke_request("fn1");
                    while (!stop.load(std::memory_order_relaxed)) {
                        if (c.call(req) == 200)
                            ++done;
                        else
                            ++errors;
                    }
                });
            std::this_thread::sleep_for(std::chrono::milliseconds(300));  // warm both sandboxes
            long start_count = done.load();
            auto t0 = clock_type::now();
            std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
            long end_count = done.load();
            auto t1 = clock_type::now();
            stop = true;
            for (auto& t : ts) t.join();
            double rate = static_cast<double>(end_count - start_count) /
                          std::chrono::duration<double>(t1 - t0).count();

            // 3. memory: one live sandbox for each of the 10 functions (fn0 had one, fn1 two: 8 are
            // new)
            long rss_before = svc.rss_kb();
            for (int i = 0; i < 10; ++i) {
                client c(svc.port());
                c.call(invoke_request("fn" + std::to_string(i)));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            long rss_after = svc.rss_kb();
            long children = sandbox_rss_kb(svc.pid());

            std::printf(
                "lambench service benchmark (%d requests per round trip series, %.1f s "
                "throughput)\n\n",
                requests, seconds);
            std::printf("%-44s %10s %10s %10s\n", "round trip (keep-alive, loopback)", "p50 us",
                        "p99 us", "mean us");
            std::printf("%-44s %10.1f %10.1f %10.1f\n", "raw HTTP request/response", pr.p50, pr.p99,
                        pr.mean);
            std::printf("%-44s %10.1f %10.1f %10.1f\n", "Invoke no-op function (warm)", pi.p50,
                        pi.p99, pi.mean);
            std::printf("%-44s %10.2f %10.2f %10.2f   (target p50 <= 3)\n\n", "ratio Invoke / raw",
                        pi.p50 / pr.p50, pi.p99 / pr.p99, pi.mean / pr.mean);
            std::printf(
                "throughput, 2 sandboxes, 2 clients:  %.0f invocations/s  (%ld errors; target >= "
                "5000)\n\n",
                rate, errors.load());
            std::printf("service RSS idle, 10 functions:      %.1f MB  (target <= 30)\n",
                        static_cast<double>(rss_idle) / 1024.0);
            std::printf(
                "service RSS with 11 live sandboxes:  %.1f MB  (+%.1f KB per new sandbox, from "
                "%.1f MB)\n",
                static_cast<double>(rss_after) / 1024.0,
                static_cast<double>(rss_after - rss_before) / 8.0,
                static_cast<double>(rss_before) / 1024.0);
            std::printf("sandbox processes' own RSS:          %.1f MB total\n\n",
                        static_cast<double>(children) / 1024.0);
            json << "{\"raw_p50_us\":" << pr.p50 << ",\"raw_p99_us\":" << pr.p99
                 << ",\"invoke_p50_us\":" << pi.p50 << ",\"invoke_p99_us\":" << pi.p99
                 << ",\"ratio_p50\":" << pi.p50 / pr.p50 << ",\"throughput_per_s\":" << rate
                 << ",\"rss_idle_kb\":" << rss_idle
                 << ",\"rss_per_sandbox_kb\":" << static_cast<double>(rss_after - rss_before) / 8.0
                 << "}\n";
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_service: %s\n", e.what());
        fs::remove_all(dir);
        return 1;
    }
    if (!json_out.empty()) std::ofstream(json_out) << json.str();
    fs::remove_all(dir);
    return 0;
}
