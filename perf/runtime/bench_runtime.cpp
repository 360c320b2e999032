// bench_runtime: what the runtime client and the build profiles cost.
//   (a) cold start per profile: exec of functions/hello/<profile>/bootstrap → its first /next
//       request read on a listening socket (warm page cache), N runs each;
//   (b) per-invocation client overhead: a no-op function against a fast in-process Runtime API
//       server; child CPU (getrusage user+sys) and wall time per round trip, for our runtime
//       (static and shared) and for a libcurl client written like aws-lambda-cpp's.
//   (c) end to end: hello (static) invoked through a real `lambench serve` over the Invoke API,
//       round trip p50/p99 as a client sees it.
// Usage: bench_runtime [--cold-runs N (0: skip)] [--invocations N] [--repeat N]
//                      [--functions-dir DIR] [--client PROGRAM]... [--same-trace]
//   --repeat N: each row N times, interleaved; the figures are medians (noisy shared hosts).
//   --client PROGRAM: one more row, e.g. a no-op function built from another revision.
//   --same-trace: every event carries the same trace id (by default each gets a fresh one,
//   as Lambda and lambench serve do).
//   DIR holds hello/<profile>/bootstrap (default: this build's functions directory).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const char* call) {
    throw std::system_error(errno, std::generic_category(), call);
}

// A loopback listener on a kernel-chosen port.
class listener {
  public:
    listener() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) die("socket");
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
        if (::listen(fd_, 16) != 0) die("listen");
        socklen_t len = sizeof a;
        if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) die("getsockname");
        address_ = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    }
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;
    ~listener() { ::close(fd_); }
    int accept() const {
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) die("accept4");
        int one = 1;
        ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return c;
    }
    const std::string& address() const { return address_; }

  private:
    int fd_ = -1;
    std::string address_;
};

pid_t spawn(const std::string& path, const std::string& api, std::string extra_env = {},
            std::string arg1 = {}) {
    std::string env_api = "AWS_LAMBDA_RUNTIME_API=" + api;
    std::string env_path = "PATH=/usr/bin:/bin";
    char* envp[] = {env_api.data(), env_path.data(), extra_env.empty() ? nullptr : extra_env.data(),
                    nullptr};
    std::string arg0 = path;
    char* argv[] = {arg0.data(), arg1.empty() ? nullptr : arg1.data(), nullptr};
    pid_t pid;
    int rc = ::posix_spawn(&pid, path.c_str(), nullptr, nullptr, argv, envp);
    if (rc != 0) {
        errno = rc;
        die("posix_spawn");
    }
    return pid;
}

struct cpu_time {
    double user_us = 0;
    double sys_us = 0;
};

// Kill, reap, and return the child's CPU time in microseconds.
cpu_time kill_and_reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    int status;
    rusage ru{};
    while (::wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) die("wait4");
    }
    auto us = [](timeval t) {
        return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec);
    };
    return {us(ru.ru_utime), us(ru.ru_stime)};
}

// Reads one request head (and its Content-Length body) from fd, using buf as a carry-over.
bool read_request(int fd, std::string& buf, std::string_view& first_line) {
    std::size_t head_end;
    char tmp[16384];
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) return false;
        buf.append(tmp, static_cast<std::size_t>(n));
    }
    std::size_t length = 0;
    std::string_view head(buf.data(), head_end);
    for (std::string_view key : {"Content-Length: ", "content-length: "}) {
        auto p = head.find(key);
        if (p != std::string_view::npos)
            length = std::strtoull(head.data() + p + key.size(), nullptr, 10);
    }
    while (buf.size() < head_end + 4 + length) {
        ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) return false;
        buf.append(tmp, static_cast<std::size_t>(n));
    }
    first_line = std::string_view(buf.data(), buf.find("\r\n"));
    return true;
}

bool send_all(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

struct summary {
    double median = 0, p99 = 0, min = 0, max = 0;
};

summary summarize(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    summary s;
    if (v.empty()) return s;
    std::size_t n = v.size();
    s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    s.p99 =
        v[std::min(n - 1, static_cast<std::size_t>(0.99 * static_cast<double>(n) + 0.999999) - 1)];
    s.min = v.front();
    s.max = v.back();
    return s;
}

// (a) exec → first /next, in microseconds, for one bootstrap.
std::vector<double> cold_starts(const std::string& bootstrap, int runs) {
    listener l;
    std::vector<double> samples;
    const int warmup = 5;
    for (int i = 0; i < runs + warmup; ++i) {
        auto t0 = clock_type::now();
        pid_t pid = spawn(bootstrap, l.address());
        int c = l.accept();
        std::string buf;
        std::string_view line;
        bool ok = read_request(c, buf, line);
        auto t1 = clock_type::now();
        ::close(c);
        kill_and_reap(pid);
        if (!ok || !line.starts_with("GET /2018-06-01/runtime/invocation/next"))
            throw std::runtime_error(bootstrap + ": first request was not /next");
        if (i >= warmup)
            samples.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    return samples;
}

const std::string event_response =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    "Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n"
    "Lambda-Runtime-Deadline-Ms: 4102444800000\r\n"
    "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:000000000000:function:noop\r\n"
    "Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c800000000;Sampled=1\r\n"
    "Content-Length: 2\r\n\r\n{}";
// Lambda (and lambench serve) send a fresh trace id with every event, and a client that copies
// it into _X_AMZN_TRACE_ID pays for that per invocation: so does the benchmark's event. The last
// 8 hex digits of the trace id count the invocations (same length, so the floor client's
// fixed-size reads still fit).
bool same_trace = false;  // --same-trace: the constant trace id of the first version

void stamp_trace_id(std::string& event, unsigned n) {
    if (same_trace) return;
    static const std::size_t at = event_response.find(";Sampled=") - 8;
    static constexpr char hex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < 8; ++i) event[at + 7 - i] = hex[(n >> (4 * i)) & 0xf];
}

const std::string accepted_response =
    "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n"
    "{\"status\":\"OK\"}";

// The kernel floor: the same syscalls as the pipelined runtime (one send of POST+GET, a recv
// per response), with no HTTP parsing at all — it knows the exact bytes the server sends.
int floor_client() {
    const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
    std::string_view a = api ? api : "";
    auto colon = a.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port =
        htons(static_cast<std::uint16_t>(std::atoi(std::string(a.substr(colon + 1)).c_str())));
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return 1;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const std::string get =
        "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: " + std::string(a) + "\r\n\r\n";
    const std::string post_get =
        "POST /2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response "
        "HTTP/1.1\r\nHost: " +
        std::string(a) + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" + get;
    char buf[4096];
    auto recv_exact = [&](std::size_t n) {
        while (n > 0) {
            ssize_t r = ::recv(fd, buf, std::min(n, sizeof buf), 0);
            if (r <= 0) return false;
            n -= static_cast<std::size_t>(r);
        }
        return true;
    };
    if (!send_all(fd, get)) return 1;
    for (;;) {
        if (!recv_exact(event_response.size())) return 1;
        if (!send_all(fd, post_get)) return 1;
        if (!recv_exact(accepted_response.size())) return 1;
    }
}

struct loop_result {
    double cpu_us_per_invocation;  // user + sys
    double user_us_per_invocation;
    double sys_us_per_invocation;
    double wall_us_per_round_trip;
};

// (b) N invocations of a no-op function against this process's minimal Runtime API.
loop_result invocation_loop(const std::string& program, int invocations,
                            const std::string& extra_env, const std::string& arg1) {
    listener l;
    pid_t pid = spawn(program, l.address(), extra_env, arg1);
    std::string event = event_response;
    const std::string& accepted = accepted_response;
    unsigned events = 0;
    int c = l.accept();
    std::string buf;
    std::string_view line;
    int done = 0;
    auto start = clock_type::now();
    while (done < invocations) {
        if (!read_request(c, buf, line)) {
            // The client closed (curl may); take its next connection.
            ::close(c);
            c = l.accept();
            buf.clear();
            continue;
        }
        bool is_next = line.starts_with("GET ");
        buf.erase(0, buf.find("\r\n\r\n") + 4 + (is_next ? 0 : 2));  // body "{}" after a POST
        if (is_next) {
            if (done == 0) start = clock_type::now();
            stamp_trace_id(event, ++events);
            send_all(c, event);
        } else {
            send_all(c, accepted);
            ++done;
        }
    }
    auto end = clock_type::now();
    cpu_time cpu = kill_and_reap(pid);
    ::close(c);
    return {(cpu.user_us + cpu.sys_us) / invocations, cpu.user_us / invocations,
            cpu.sys_us / invocations,
            std::chrono::duration<double, std::micro>(end - start).count() / invocations};
}

std::uintmax_t tree_size(const fs::path& dir) {
    std::uintmax_t total = 0;
    for (auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) total += e.file_size();
    return total;
}

// (c) The whole path through the real local service: Invoke API → lambench serve → Runtime API
// → hello (static) → back, over one kept-alive client connection.
struct service_result {
    summary round_trip_us;
    int invokes = 0;
};

bool read_http_response(int fd, std::string& buf, int& status, std::string& body) {
    std::size_t head_end;
    char tmp[16384];
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) return false;
        buf.append(tmp, static_cast<std::size_t>(n));
    }
    std::string head = buf.substr(0, head_end);
    for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    status = std::atoi(head.c_str() + 9);
    std::size_t length = 0;
    if (auto p = head.find("\r\ncontent-length:"); p != std::string::npos)
        length = std::strtoull(head.c_str() + p + 17, nullptr, 10);
    while (buf.size() < head_end + 4 + length) {
        ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) return false;
        buf.append(tmp, static_cast<std::size_t>(n));
    }
    body = buf.substr(head_end + 4, length);
    buf.erase(0, head_end + 4 + length);
    return true;
}

service_result service_round_trips(const std::string& lambench, const fs::path& code, int invokes) {
    char tmpl[] = "/tmp/bench-runtime-serve-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) die("mkdtemp");
    const fs::path dir = tmpl;
    struct remover {
        fs::path p;
        ~remover() {
            std::error_code ec;
            fs::remove_all(p, ec);
        }
    } cleanup{dir};
    {
        // 1769 MB = one full vCPU: the figure is the service's and client's overhead, not a
        // CPU quota's throttling.
        std::FILE* f = std::fopen((dir / "service.toml").c_str(), "w");
        if (f == nullptr) die("fopen service.toml");
        std::fprintf(f,
                     "[[function]]\nname = \"hello\"\nhandler = \"hello\"\ncode = \"%s\"\n"
                     "memory = 1769\ntimeout = 3\n",
                     code.c_str());
        std::fclose(f);
    }
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) die("pipe2");
    std::string cfg = (dir / "service.toml").string(), state = (dir / "state").string();
    std::vector<std::string> args{lambench,   "serve", "--listen",    "127.0.0.1:0",
                                  "--config", cfg,     "--state-dir", state};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    pid_t pid;
    int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    if (rc != 0) {
        ::close(out[0]);
        errno = rc;
        die("posix_spawn lambench serve");
    }
    struct stopper {
        pid_t pid;
        int fd;
        ~stopper() {
            ::kill(pid, SIGTERM);
            int st;
            ::waitpid(pid, &st, 0);
            ::close(fd);
        }
    } stop{pid, out[0]};
    std::string line;
    char ch;
    while (::read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
    // "lambench serve: listening on http://<bound address>:<port>" (IPv6 in brackets).
    const std::string prefix = "lambench serve: listening on http://";
    const auto colon = line.rfind(':');
    if (line.rfind(prefix, 0) != 0 || colon == std::string::npos || colon < prefix.size())
        throw std::runtime_error("lambench serve did not start: '" + line + "'");
    std::string host = line.substr(prefix.size(), colon - prefix.size());
    const std::string port = line.substr(colon + 1);
    if (host.size() > 1 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* addr = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &addr) != 0 || addr == nullptr)
        throw std::runtime_error("lambench serve's ready line has no address: '" + line + "'");
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> free_addr(addr, &::freeaddrinfo);
    int fd = ::socket(addr->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } close_fd{fd};
    if (::connect(fd, addr->ai_addr, addr->ai_addrlen) != 0) die("connect");
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const std::string request =
        "POST /2015-03-31/functions/hello/invocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    std::string buf, body;
    std::vector<double> samples;
    const int warmup = 10;  // the first is the cold start
    for (int i = 0; i < invokes + warmup; ++i) {
        auto t0 = clock_type::now();
        int status = 0;
        if (!send_all(fd, request) || !read_http_response(fd, buf, status, body))
            throw std::runtime_error("lambench serve closed the Invoke API connection");
        auto t1 = clock_type::now();
        if (status != 200 || body.find("hello") == std::string::npos)
            throw std::runtime_error("invoke answered " + std::to_string(status) + ": " + body);
        if (i >= warmup)
            samples.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    return {summarize(std::move(samples)), invokes};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::string_view(argv[1]) == "--floor-client") return floor_client();
    int cold_runs = 200;
    int invocations = 20000;
    int repeat = 1;
    int service_invokes = 2000;
    fs::path functions = LAMBENCH_FUNCTIONS_DIR;
    std::vector<std::string> extra_clients;
    const auto usage = [&] {
        std::fprintf(stderr,
                     "usage: %s [--cold-runs N (0: skip)] [--invocations N] [--repeat N]\n"
                     "          [--functions-dir DIR] [--client PROGRAM]... [--same-trace]\n"
                     "          [--service-invokes N (0: skip)]\n",
                     argv[0]);
        return 2;
    };
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--same-trace") {
            same_trace = true;
            continue;
        }
        if (i + 1 >= argc) return usage();
        const char* v = argv[++i];
        if (a == "--cold-runs")
            cold_runs = std::atoi(v);
        else if (a == "--invocations")
            invocations = std::atoi(v);
        else if (a == "--repeat")
            repeat = std::atoi(v);
        else if (a == "--functions-dir")
            functions = v;
        else if (a == "--service-invokes")
            service_invokes = std::atoi(v);
        else if (a == "--client")
            extra_clients.emplace_back(v);
        else
            return usage();
    }
    if (cold_runs < 0 || invocations < 1 || repeat < 1 || service_invokes < 0) {
        std::fprintf(
            stderr,
            "bench_runtime: --invocations and --repeat must be positive, --cold-runs >= 0\n");
        return 2;
    }
    try {
        std::printf("lambench runtime benchmark (%u cores; figures in microseconds)\n\n",
                    std::thread::hardware_concurrency());
        if (cold_runs > 0) {
            std::printf(
                "(a) cold start: exec bootstrap -> first /next, N=%d each (after 5 warm-up)\n",
                cold_runs);
            std::printf("%-8s %10s %10s %10s %10s %14s %14s\n", "profile", "median", "p99", "min",
                        "max", "bootstrap B", "artifact B");
            for (const char* profile : {"static", "shared", "bundled"}) {
                fs::path dir = functions / "hello" / profile;
                fs::path boot = dir / "bootstrap";
                if (!fs::exists(boot)) {
                    std::printf("%-8s not built (%s)\n", profile, boot.c_str());
                    continue;
                }
                auto s = summarize(cold_starts(boot.string(), cold_runs));
                std::printf("%-8s %10.0f %10.0f %10.0f %10.0f %14ju %14ju\n", profile, s.median,
                            s.p99, s.min, s.max, fs::file_size(boot), tree_size(dir));
            }
            {
                // The libcurl client's own start-up (dynamic libcurl + curl_global_init), for
                // scale.
                const std::string curl = LAMBENCH_CURL_BASELINE;
                auto s = summarize(cold_starts(curl, cold_runs));
                std::printf("%-8s %10.0f %10.0f %10.0f %10.0f %14ju %14s  (libcurl baseline)\n",
                            "curl", s.median, s.p99, s.min, s.max, fs::file_size(curl), "-");
            }
        }

        std::printf(
            "\n(b) per invocation, no-op handler, %d invocations, in-process Runtime API,"
            " %s trace id%s\n",
            invocations, same_trace ? "constant" : "a fresh",
            repeat > 1
                ? ("; median of " + std::to_string(repeat) + " interleaved runs per row").c_str()
                : "");
        std::printf("%-40s %14s %10s %10s %14s\n", "client", "CPU us/invoke", "user", "sys",
                    "wall us/round");
        struct row {
            std::string name;
            std::string path;
            std::string env;
            std::string arg1;
        };
        std::vector<row> rows = {
            {"lambench static (raw sockets, pipelined)", LAMBENCH_NOOP_STATIC, "", ""},
            {"lambench shared (raw sockets, pipelined)", LAMBENCH_NOOP_SHARED, "", ""},
            {"libcurl baseline (aws-lambda-cpp style)", LAMBENCH_CURL_BASELINE, "", ""},
            {"lambench static, pipelining off", LAMBENCH_NOOP_STATIC, "LAMBENCH_RUNTIME_PIPELINE=0",
             ""},
            {"kernel floor (same syscalls, no HTTP)", fs::read_symlink("/proc/self/exe").string(),
             "", "--floor-client"}};
        for (const auto& c : extra_clients) rows.push_back({c, c, "", ""});
        // Rows interleaved run by run, so that a noisy neighbour's burst spreads over all rows
        // rather than landing on one; each figure is the median over the runs.
        std::vector<std::vector<loop_result>> runs(rows.size());
        for (int k = 0; k < repeat; ++k)
            for (std::size_t i = 0; i < rows.size(); ++i)
                runs[i].push_back(
                    invocation_loop(rows[i].path, invocations, rows[i].env, rows[i].arg1));
        std::vector<loop_result> results;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            auto median_of = [&](double loop_result::*field) {
                std::vector<double> v;
                for (const auto& r : runs[i]) v.push_back(r.*field);
                return summarize(std::move(v)).median;
            };
            results.push_back({median_of(&loop_result::cpu_us_per_invocation),
                               median_of(&loop_result::user_us_per_invocation),
                               median_of(&loop_result::sys_us_per_invocation),
                               median_of(&loop_result::wall_us_per_round_trip)});
            const auto& x = results.back();
            std::printf("%-40s %14.2f %10.2f %10.2f %14.2f\n", rows[i].name.c_str(),
                        x.cpu_us_per_invocation, x.user_us_per_invocation, x.sys_us_per_invocation,
                        x.wall_us_per_round_trip);
        }
        std::printf("\ncurl baseline / lambench static: CPU %.2fx, wall %.2fx\n",
                    results[2].cpu_us_per_invocation / results[0].cpu_us_per_invocation,
                    results[2].wall_us_per_round_trip / results[0].wall_us_per_round_trip);

        const fs::path hello_static = functions / "hello" / "static";
        if (service_invokes > 0 && fs::exists(hello_static / "bootstrap") &&
            fs::exists(LAMBENCH_BIN)) {
            auto r = service_round_trips(LAMBENCH_BIN, hello_static, service_invokes);
            std::printf(
                "\n(c) end to end: Invoke API round trip through lambench serve, hello static, "
                "1769 MB, N=%d (after 10 warm-up), one kept-alive connection\n",
                r.invokes);
            std::printf("%-40s %10s %10s %10s %10s\n", "path", "p50", "p99", "min", "max");
            std::printf("%-40s %10.1f %10.1f %10.1f %10.1f\n", "client -> serve -> hello -> client",
                        r.round_trip_us.median, r.round_trip_us.p99, r.round_trip_us.min,
                        r.round_trip_us.max);
        } else if (service_invokes > 0) {
            std::printf("\n(c) end to end: skipped (needs %s and %s)\n", LAMBENCH_BIN,
                        (hello_static / "bootstrap").c_str());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_runtime: %s\n", e.what());
        return 1;
    }
    return 0;
}
