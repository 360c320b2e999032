// Purpose-built Lambda functions for the service tests: one binary, the behaviour picked by
// _HANDLER. It speaks the Runtime API over raw loopback sockets (no runtime library), so it can
// also imitate other clients' quirks (Node.js error bodies, aws-lambda-cpp content types).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct reply {
    int status = 0;
    std::string headers, body;
    std::string header(const std::string& name) const {
        std::string lower_h, lower_n = name;
        for (char c : headers)
            lower_h += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        for (auto& c : lower_n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto p = lower_h.find("\n" + lower_n + ":");
        if (p == std::string::npos) return {};
        p += lower_n.size() + 2;
        while (p < headers.size() && headers[p] == ' ') ++p;
        auto e = headers.find("\r\n", p);
        return headers.substr(p, e - p);
    }
};

int g_fd = -1;

int connect_api() {
    const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api) {
        std::fprintf(stderr, "AWS_LAMBDA_RUNTIME_API unset\n");
        std::exit(70);
    }
    std::string s(api);
    auto colon = s.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::atoi(s.substr(colon + 1).c_str())));
    inet_pton(AF_INET, s.substr(0, colon).c_str(), &addr.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::perror("connect");
        std::exit(71);
    }
    return fd;
}

bool send_all(int fd, const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return false;
        off += static_cast<std::size_t>(n);
    }
    return true;
}

// One request on a keep-alive connection (reconnects once if the connection went away).
reply request(const std::string& method, const std::string& path, const std::string& body = {},
              const std::string& extra_headers = {}) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (g_fd < 0) g_fd = connect_api();
        std::string req = method + " /2018-06-01/runtime/" + path + " HTTP/1.1\r\nHost: x\r\n" +
                          extra_headers + "Content-Length: " + std::to_string(body.size()) +
                          "\r\n\r\n" + body;
        if (!send_all(g_fd, req)) {
            ::close(g_fd);
            g_fd = -1;
            continue;
        }
        std::string buf;
        char tmp[65536];
        std::size_t hdr_end;
        while ((hdr_end = buf.find("\r\n\r\n")) == std::string::npos) {
            ssize_t n = ::recv(g_fd, tmp, sizeof tmp, 0);
            if (n <= 0) break;
            buf.append(tmp, static_cast<std::size_t>(n));
        }
        if (hdr_end == std::string::npos) {
            ::close(g_fd);
            g_fd = -1;
            if (buf.empty()) continue;
            std::exit(72);
        }
        reply r;
        r.headers = buf.substr(0, hdr_end + 2);
        r.status = std::atoi(buf.c_str() + 9);
        std::size_t len = static_cast<std::size_t>(std::atol(r.header("Content-Length").c_str()));
        r.body = buf.substr(hdr_end + 4);
        while (r.body.size() < len) {
            ssize_t n = ::recv(g_fd, tmp, sizeof tmp, 0);
            if (n <= 0) std::exit(73);
            r.body.append(tmp, static_cast<std::size_t>(n));
        }
        return r;
    }
    std::exit(74);
}

long number_in(const std::string& s) {
    for (std::size_t i = 0; i < s.size(); ++i)
        if (std::isdigit(static_cast<unsigned char>(s[i]))) return std::atol(s.c_str() + i);
    return 0;
}

std::atomic<long> g_counter{0};
volatile unsigned long g_sink = 0;

// One raw exchange on a new connection to 127.0.0.1:port: sends `raw`, waits up to wait_ms for
// the status line. Returns {status, whole reply}; status 0 = no answer in time, -1 = refused or
// reset. For probing endpoints that are not this sandbox's own, and for malformed requests.
std::pair<int, std::string> raw_exchange(int port, const std::string& raw, int wait_ms) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return {-1, {}};
    }
    send_all(fd, raw);
    std::string buf;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        char tmp[4096];
        ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) break;
        buf.append(tmp, static_cast<std::size_t>(n));
        auto hdr_end = buf.find("\r\n\r\n");
        if (hdr_end != std::string::npos) {
            auto cl = buf.find("Content-Length: ");
            std::size_t len = cl == std::string::npos
                                  ? 0
                                  : static_cast<std::size_t>(std::atol(buf.c_str() + cl + 16));
            if (buf.size() >= hdr_end + 4 + len) break;
        }
    }
    ::close(fd);
    if (buf.size() < 12) return {buf.empty() ? 0 : -1, buf};
    return {std::atoi(buf.c_str() + 9), buf};
}

std::string json_escape(const std::string& v) {
    std::string out = "\"";
    for (unsigned char c : v) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c >= 0x7f) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", c);
            out += b;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string jstr(const char* v) {
    return json_escape(v ? v : "");
}

}  // namespace

int main() {
    const char* h = std::getenv("_HANDLER");
    std::string handler = h ? h : "echo";

    if (handler == "initerror") {
        std::printf("about to fail init\n");
        std::fflush(stdout);
        request(
            "POST", "init/error",
            R"({"errorMessage":"init failed on purpose","errorType":"Runtime.InitError","stackTrace":[]})",
            "Lambda-Runtime-Function-Error-Type: Runtime.InitError\r\n");
        return 1;
    }
    if (handler == "initcrash") return 2;
    if (handler == "initslow") std::this_thread::sleep_for(std::chrono::seconds(60));
    if (handler == "counter") {
        std::thread([] {
            for (;;) {
                ++g_counter;
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        }).detach();
    }
    if (handler == "initprint") {
        std::printf("init line from the function\n");
        std::fflush(stdout);
    }

    for (;;) {
        reply ev = request("GET", "invocation/next");
        if (ev.status != 200) return 75;
        std::string id = ev.header("Lambda-Runtime-Aws-Request-Id");
        std::string out = ev.body;
        auto respond = [&](const std::string& body) {
            request("POST", "invocation/" + id + "/response", body);
        };

        if (handler == "echo" || handler == "initprint") {
            respond(out);
        } else if (handler == "print") {
            std::printf("hello stdout %s\n", id.c_str());
            std::fflush(stdout);
            std::fprintf(stderr, "hello stderr\n");
            respond(R"({"printed":true})");
        } else if (handler == "sleep") {
            std::this_thread::sleep_for(std::chrono::milliseconds(number_in(out)));
            respond(R"({"slept":true})");
        } else if (handler == "exit") {
            std::exit(static_cast<int>(number_in(out)));
        } else if (handler == "segv") {
            ::raise(SIGSEGV);
        } else if (handler == "alloc") {
            std::size_t bytes = static_cast<std::size_t>(number_in(out)) * 1024 * 1024;
            char* p = static_cast<char*>(std::malloc(bytes));
            for (std::size_t i = 0; i < bytes; i += 4096) p[i] = 1;
            g_sink = g_sink + static_cast<unsigned long>(p[bytes / 2]);
            std::free(p);
            respond("{\"allocated_mb\":" + std::to_string(number_in(out)) + "}");
        } else if (handler == "cpu") {
            long iters = number_in(out);
            unsigned long x = 1;
            for (long i = 0; i < iters; ++i) x = x * 6364136223846793005UL + 1442695040888963407UL;
            g_sink = x;
            respond("{\"done\":true}");
        } else if (handler == "counter") {
            respond("{\"counter\":" + std::to_string(g_counter.load()) + "}");
        } else if (handler == "nodeerror") {
            // The official Node.js client: "trace" instead of "stackTrace", plus an X-Ray header.
            request(
                "POST", "invocation/" + id + "/error",
                R"J({"errorType":"TypeError","errorMessage":"x is not a function","trace":["TypeError: x is not a function","    at handler (/var/task/index.js:3:9)"]})J",
                "Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: "
                "TypeError\r\n"
                "Lambda-Runtime-Function-XRay-Error-Cause: "
                "{\"working_directory\":\"/var/"
                "task\",\"exceptions\":[{\"type\":\"TypeError\",\"message\":\"x\"}],\"paths\":[]}"
                "\r\n");
        } else if (handler == "cpperror") {
            // aws-lambda-cpp: text/html content type and no error-type header.
            request(
                "POST", "invocation/" + id + "/error",
                R"({"errorMessage":"handler threw","errorType":"std::runtime_error","stackTrace":[]})",
                "Content-Type: text/html\r\n");
        } else if (handler == "headererror") {
            request("POST", "invocation/" + id + "/error", "not json at all",
                    "Lambda-Runtime-Function-Error-Type: Custom.FromHeader\r\n");
        } else if (handler == "bareerror") {
            request("POST", "invocation/" + id + "/error", "plain failure");
        } else if (handler == "protocol") {
            // Misbehaviours the Runtime API must refuse, then a normal answer reporting them.
            reply foreign =
                request("POST", "invocation/00000000-0000-4000-8000-000000000000/response", "{}");
            reply init_err =
                request("POST", "init/error", R"({"errorMessage":"late","errorType":"X"})");
            reply next_again = request("GET", "invocation/next");
            reply unknown = request("GET", "nowhere");
            respond("{\"foreign\":" + std::to_string(foreign.status) + ",\"foreign_type\":" +
                    jstr(foreign.body.find("InvalidRequestID") != std::string::npos
                             ? "InvalidRequestID"
                             : foreign.body.c_str()) +
                    ",\"init_error\":" + std::to_string(init_err.status) + ",\"init_error_type\":" +
                    jstr(init_err.body.find("InvalidStateTransition") != std::string::npos
                             ? "InvalidStateTransition"
                             : init_err.body.c_str()) +
                    ",\"next_again\":" + std::to_string(next_again.status) +
                    ",\"unknown\":" + std::to_string(unknown.status) + "}");
            reply twice = request("POST", "invocation/" + id + "/response", "{}");
            std::printf("second response status %d\n", twice.status);
            std::fflush(stdout);
        } else if (handler == "big") {
            reply r = request("POST", "invocation/" + id + "/response",
                              "\"" + std::string(7 * 1024 * 1024, 'a') + "\"");
            std::printf("big response status %d\n", r.status);
            std::fflush(stdout);
        } else if (handler == "env") {
            char cwd[4096];
            if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;
            std::string j = "{";
            const char* names[] = {"AWS_LAMBDA_RUNTIME_API",
                                   "_HANDLER",
                                   "LAMBDA_TASK_ROOT",
                                   "LAMBDA_RUNTIME_DIR",
                                   "AWS_LAMBDA_FUNCTION_NAME",
                                   "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                   "AWS_LAMBDA_FUNCTION_VERSION",
                                   "AWS_LAMBDA_LOG_GROUP_NAME",
                                   "AWS_LAMBDA_LOG_STREAM_NAME",
                                   "AWS_LAMBDA_INITIALIZATION_TYPE",
                                   "AWS_REGION",
                                   "AWS_DEFAULT_REGION",
                                   "TZ",
                                   "LANG",
                                   "PATH",
                                   "LD_LIBRARY_PATH",
                                   "MY_VAR",
                                   "HOME",
                                   "AWS_ACCESS_KEY_ID",
                                   "AWS_SECRET_ACCESS_KEY",
                                   "AWS_SESSION_TOKEN",
                                   "AWS_EXECUTION_ENV"};
            for (const char* n : names) {
                const char* v = std::getenv(n);
                j += jstr(n) + ":" + (v ? jstr(v) : std::string("null")) + ",";
            }
            j += "\"cwd\":" + jstr(cwd) +
                 ",\"deadline\":" + jstr(ev.header("Lambda-Runtime-Deadline-Ms").c_str()) +
                 ",\"arn\":" + jstr(ev.header("Lambda-Runtime-Invoked-Function-Arn").c_str()) +
                 ",\"trace\":" + jstr(ev.header("Lambda-Runtime-Trace-Id").c_str()) +
                 ",\"client_context\":" + jstr(ev.header("Lambda-Runtime-Client-Context").c_str()) +
                 "}";
            respond(j);
        } else if (handler == "echoapi") {
            // "api" -> this sandbox's AWS_LAMBDA_RUNTIME_API; anything else is echoed.
            respond(out == "\"api\"" ? jstr(std::getenv("AWS_LAMBDA_RUNTIME_API")) : out);
        } else if (handler == "thief") {
            // Tries another sandbox's Runtime API (port in the event): take its next event, then
            // answer an invocation there. Reports what it got.
            int port = static_cast<int>(number_in(out));
            auto next = raw_exchange(
                port, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n", 3000);
            std::string fake =
                "POST /2018-06-01/runtime/invocation/00000000-0000-4000-8000-000000000000/response "
                "HTTP/1.1\r\n"
                "Host: x\r\nContent-Length: 2\r\n\r\n{}";
            auto answer = raw_exchange(port, fake, 3000);
            respond("{\"next_status\":" + std::to_string(next.first) +
                    ",\"next_reply\":" + json_escape(next.second) +
                    ",\"answer_status\":" + std::to_string(answer.first) +
                    ",\"answer_reply\":" + json_escape(answer.second) + "}");
        } else if (handler == "stall") {
            // Answers, then never asks for the next event: the next caller must not hang.
            respond(R"({"stalling":true})");
            for (;;) std::this_thread::sleep_for(std::chrono::seconds(60));
        } else if (handler == "badbytes") {
            // Hostile bytes at its own Runtime API: invalid UTF-8 in paths, malformed HTTP.
            const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
            int port = std::atoi(std::strrchr(api, ':') + 1);
            auto a = raw_exchange(port, "GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n", 2000);
            auto b = raw_exchange(port,
                                  "POST /2018-06-01/runtime/invocation/\xff\xfe/response "
                                  "HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
                                  2000);
            auto c = raw_exchange(
                port, "GET /2018-06-01/runtime/\xc3\x28 HTTP/1.1\r\nHost: x\r\n\r\n", 2000);
            auto d = raw_exchange(port, "THIS IS NOT HTTP\r\n\r\n", 2000);
            respond("{\"a\":" + std::to_string(a.first) + ",\"b\":" + std::to_string(b.first) +
                    ",\"c\":" + std::to_string(c.first) + ",\"d\":" + std::to_string(d.first) +
                    ",\"b_reply\":" + json_escape(b.second) + "}");
        } else if (handler == "pid") {
            respond("{\"pid\":" + std::to_string(::getpid()) + "}");
        } else if (handler == "spew") {
            // N MB of stdout in 1 KiB lines, then a normal answer.
            std::string line(1023, 'x');
            line += '\n';
            long lines = number_in(out) * 1024;
            for (long i = 0; i < lines; ++i) std::fwrite(line.data(), 1, line.size(), stdout);
            std::fflush(stdout);
            respond("{\"spewed_mb\":" + std::to_string(number_in(out)) + "}");
        } else if (handler == "partialexit") {
            // A last line without its newline, then the process ends mid-invocation.
            std::printf("complete line before the end\nunterminated last words %s", id.c_str());
            std::fflush(stdout);
            std::_Exit(3);
        } else if (handler == "partialhang") {
            // A line without its newline, then never an answer: the timeout ends it.
            std::printf("unterminated before the timeout %s", id.c_str());
            std::fflush(stdout);
            for (;;) std::this_thread::sleep_for(std::chrono::seconds(60));
        } else if (handler == "sleepcheck") {
            // Sleeps N ms, then says whether its code directory is still there.
            std::this_thread::sleep_for(std::chrono::milliseconds(number_in(out)));
            std::string boot = std::string(std::getenv("LAMBDA_TASK_ROOT")) + "/bootstrap";
            respond(std::string("{\"code_present\":") +
                    (::access(boot.c_str(), X_OK) == 0 ? "true" : "false") + "}");
        } else if (handler == "rtcap") {
            // Opens 70 more connections to its own Runtime API (the cap there is 64, this
            // runtime's own connection included) and reports how each was treated: answered
            // 503 at once, or served (404 for an unknown path).
            const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
            int port = std::atoi(std::strrchr(api, ':') + 1);
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_port = htons(static_cast<uint16_t>(port));
            inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
            std::vector<int> fds;
            for (int i = 0; i < 70; ++i) {
                int fd = socket(AF_INET, SOCK_STREAM, 0);
                if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
                    ::close(fd);
                    continue;
                }
                fds.push_back(fd);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            int served = 0, refused = 0, other = 0;
            std::string refusal;
            for (int fd : fds) {
                pollfd p{fd, POLLIN, 0};
                bool answered_already = ::poll(&p, 1, 0) > 0;
                if (!answered_already)
                    send_all(fd,
                             "GET /2018-06-01/runtime/lambench-probe HTTP/1.1\r\nHost: x\r\n\r\n");
                std::string buf;
                auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
                while (buf.find("\r\n\r\n") == std::string::npos &&
                       std::chrono::steady_clock::now() < deadline) {
                    pollfd q{fd, POLLIN, 0};
                    if (::poll(&q, 1, 50) <= 0) continue;
                    char tmp[4096];
                    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
                    if (n <= 0) break;
                    buf.append(tmp, static_cast<std::size_t>(n));
                }
                int status = buf.size() >= 12 ? std::atoi(buf.c_str() + 9) : 0;
                if (status == 404)
                    ++served;
                else if (status == 503) {
                    ++refused;
                    if (refusal.empty()) refusal = buf;
                } else
                    ++other;
            }
            for (int fd : fds) ::close(fd);
            respond("{\"served\":" + std::to_string(served) + ",\"refused\":" +
                    std::to_string(refused) + ",\"other\":" + std::to_string(other) +
                    ",\"refusal\":" + json_escape(refusal) + "}");
        } else if (handler == "record") {
            // {"n":N,"ms":M}: sleeps M ms, then appends "N <request id>" to $RECORD_FILE, so a
            // test can count how often each event ran.
            auto field = [&](const char* key) -> long {
                auto p = out.find(std::string("\"") + key + "\"");
                return p == std::string::npos ? 0 : number_in(out.substr(p));
            };
            std::this_thread::sleep_for(std::chrono::milliseconds(field("ms")));
            if (const char* file = std::getenv("RECORD_FILE")) {
                std::string line = std::to_string(field("n")) + " " + id + "\n";
                if (FILE* f = std::fopen(file, "a")) {
                    std::fwrite(line.data(), 1, line.size(), f);
                    std::fclose(f);
                }
            }
            respond(R"({"recorded":true})");
        } else if (handler == "jail") {
            // What the sandbox lets it do: its user and limits, and the errno of a write into
            // /etc, /usr and its own code (0 = it worked).
            auto try_write = [](const char* path) {
                int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0) return errno;
                ::close(fd);
                ::unlink(path);
                return 0;
            };
            rlimit nofile{}, nproc{};
            ::getrlimit(RLIMIT_NOFILE, &nofile);
            ::getrlimit(RLIMIT_NPROC, &nproc);
            const passwd* pw = ::getpwuid(::getuid());
            respond("{\"uid\":" + std::to_string(::getuid()) + ",\"euid\":" +
                    std::to_string(::geteuid()) + ",\"user\":" + jstr(pw ? pw->pw_name : "") +
                    ",\"nofile\":[" + std::to_string(nofile.rlim_cur) + "," +
                    std::to_string(nofile.rlim_max) + "],\"nproc\":[" +
                    std::to_string(nproc.rlim_cur) + "," + std::to_string(nproc.rlim_max) +
                    "],\"etc\":" + std::to_string(try_write("/etc/lambench-probe")) +
                    ",\"usr\":" + std::to_string(try_write("/usr/lambench-probe")) +
                    ",\"task\":" + std::to_string(try_write("/var/task/lambench-probe")) +
                    ",\"tmp\":" + std::to_string(try_write("/tmp/lambench-probe")) + "}");
        } else if (handler == "tmpfill") {
            // Writes N MB to /tmp in 1 MB blocks; reports how far it got and the errno that
            // stopped it (0 = none), then removes the file.
            long want = number_in(out);
            std::string block(1 << 20, 'x');
            long written = 0;
            int err = 0;
            int fd = ::open("/tmp/lambench-fill", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            if (fd < 0) err = errno;
            while (fd >= 0 && written < want) {
                std::size_t done = 0;
                while (done < block.size()) {
                    ssize_t n = ::write(fd, block.data() + done, block.size() - done);
                    if (n < 0) {
                        err = errno;
                        break;
                    }
                    done += static_cast<std::size_t>(n);
                }
                if (err) break;
                ++written;
            }
            if (fd >= 0) ::close(fd);
            ::unlink("/tmp/lambench-fill");
            respond("{\"written_mb\":" + std::to_string(written) +
                    ",\"errno\":" + std::to_string(err) + "}");
        } else if (handler == "readpaths") {
            // The event is a JSON string of paths separated by '|': the errno of opening each
            // for reading (0 = it could).
            std::string list = out.size() >= 2 ? out.substr(1, out.size() - 2) : "";
            std::string j = "{";
            std::size_t start = 0;
            while (start <= list.size()) {
                auto bar = list.find('|', start);
                std::string path = list.substr(start, bar - start);
                if (!path.empty()) {
                    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
                    int e = fd < 0 ? errno : 0;
                    if (fd >= 0) {
                        char c;
                        if (::read(fd, &c, 1) < 0 && errno != EISDIR) e = errno;
                        ::close(fd);
                    }
                    j += (j.size() > 1 ? "," : "") + jstr(path.c_str()) + ":" + std::to_string(e);
                }
                if (bar == std::string::npos) break;
                start = bar + 1;
            }
            respond(j + "}");
        } else if (handler == "forkmany") {
            // Forks children that wait, until fork fails; reports how many and why it stopped,
            // then ends them: the sandbox must carry on.
            std::vector<pid_t> kids;
            int err = 0;
            while (kids.size() < 5000) {
                pid_t p = ::fork();
                if (p < 0) {
                    err = errno;
                    break;
                }
                if (p == 0) {
                    ::pause();
                    ::_exit(0);
                }
                kids.push_back(p);
            }
            for (pid_t p : kids) ::kill(p, SIGKILL);
            for (pid_t p : kids) ::waitpid(p, nullptr, 0);
            respond("{\"forked\":" + std::to_string(kids.size()) +
                    ",\"errno\":" + std::to_string(err) + "}");
        } else if (handler == "forkbomb") {
            // The classic: every process forks forever. Only the limits (and the timeout) end it.
            for (;;)
                if (::fork() < 0) ::usleep(1000);
        } else if (handler == "postwork") {
            // Answers, then works N ms (the number in the event) before asking for the next
            // event; the next answer says how long the previous work took by the wall clock (a
            // freeze in the middle of it would stretch it to the next invocation).
            static double last_work_ms = -1;
            respond("{\"last_work_ms\":" + std::to_string(last_work_ms) + "}");
            auto start = std::chrono::steady_clock::now();
            auto until = start + std::chrono::milliseconds(number_in(out));
            while (std::chrono::steady_clock::now() < until)
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            last_work_ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count();
        } else if (handler == "flaky") {
            request("POST", "invocation/" + id + "/error",
                    R"({"errorMessage":"always fails","errorType":"Flaky"})");
        } else {
            respond(out);
        }
    }
}
