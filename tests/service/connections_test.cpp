// Regression tests for bounded connections (issue 9, defect 4): partial and idle connections are
// closed by header, body and idle timeouts (408 when part of a request arrived), a parked Invoke
// is never cut off by them, a connection beyond the cap gets a clear 503 while the others keep
// working, and running out of file descriptors neither spins the service nor stops it for good.
// Each runs against a real `lambench serve` with short timeouts from its config file.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace lambench_test;
using json = nlohmann::json;

namespace {

using steady = std::chrono::steady_clock;

double seconds_since(steady::time_point t0) {
    return std::chrono::duration<double>(steady::now() - t0).count();
}

int port_of(const service_process& svc) {
    const std::string& url = svc.url();
    return std::stoi(url.substr(url.rfind(':') + 1));
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

int status_of(const std::string& reply) {
    if (reply.size() < 12 || reply.compare(0, 5, "HTTP/") != 0) return 0;
    return std::atoi(reply.c_str() + 9);
}

std::string body_of(const std::string& reply) {
    auto p = reply.find("\r\n\r\n");
    return p == std::string::npos ? std::string() : reply.substr(p + 4);
}

// One raw client connection, for what curl cannot do: stop half way, stay idle, hold it open.
class connection {
  public:
    explicit connection(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error("socket");
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(port));
        ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd_);
            throw std::runtime_error("connect");
        }
    }
    ~connection() { close(); }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    bool send(const std::string& data) {
        std::size_t off = 0;
        while (off < data.size()) {
            ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
            if (n <= 0) return false;
            off += static_cast<std::size_t>(n);
        }
        return true;
    }

    // Reads until the server closes the connection (true) or timeout_s passes (false).
    bool read_until_closed(double timeout_s, std::string& data) {
        auto t0 = steady::now();
        while (seconds_since(t0) < timeout_s) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            char buf[4096];
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) return true;
            data.append(buf, static_cast<std::size_t>(n));
        }
        return false;
    }

    // Reads one response (status line, headers, Content-Length body); empty if none in time.
    std::string read_response(double timeout_s) {
        std::string data;
        auto t0 = steady::now();
        while (seconds_since(t0) < timeout_s) {
            auto end = data.find("\r\n\r\n");
            if (end != std::string::npos) {
                std::string head = lower(data.substr(0, end));
                auto cl = head.find("content-length:");
                std::size_t len =
                    cl == std::string::npos ? 0 : std::strtoul(head.c_str() + cl + 15, nullptr, 10);
                if (data.size() >= end + 4 + len) return data;
            }
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            char buf[4096];
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) break;
            data.append(buf, static_cast<std::size_t>(n));
        }
        return {};
    }

    // True when, for the whole of s seconds, the server neither closed nor sent anything.
    bool quiet_for(double s) {
        pollfd p{fd_, POLLIN, 0};
        return ::poll(&p, 1, static_cast<int>(s * 1000)) == 0;
    }

  private:
    int fd_ = -1;
};

const std::string list_request = "GET /2015-03-31/functions HTTP/1.1\r\nHost: x\r\n\r\n";

// CPU seconds (user + system) the process has used so far, from /proc/<pid>/stat.
double cpu_seconds(pid_t pid) {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto p = stat.rfind(')');
    std::stringstream ss(stat.substr(p + 2));
    std::string field;
    unsigned long utime = 0, stime = 0;
    // After the command: state is field 3, utime field 14, stime field 15.
    for (int i = 3; i <= 15 && ss >> field; ++i) {
        if (i == 14) utime = std::stoul(field);
        if (i == 15) stime = std::stoul(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// A service with timeouts short enough to watch: header 1 s, body 1 s + 1 s per 1000 bytes,
// idle keep-alive 2 s.
class Timeouts : public ::testing::Test {
  protected:
    static inline temp_dir* code_tmp = nullptr;
    static inline service_process* svc = nullptr;

    static void SetUpTestSuite() {
        code_tmp = new temp_dir;
        fs::path code = make_code_dir(code_tmp->path());
        std::string cfg =
            "[service]\nidle_timeout = 120\nheader_timeout = 1\nbody_timeout = 1\n"
            "body_min_rate = 1000\nconnection_idle_timeout = 2\n";
        cfg += function_block("echo", "echo", code);
        cfg += function_block("sleep", "sleep", code, 128, 10);
        svc = new service_process(cfg);
    }
    static void TearDownTestSuite() {
        delete svc;
        delete code_tmp;
        svc = nullptr;
        code_tmp = nullptr;
    }
    static bool alive() { return http("GET", svc->url() + "/2015-03-31/functions").status == 200; }
};

TEST_F(Timeouts, HalfARequestHeaderIsAnswered408AndClosedWithinTheHeaderTimeout) {
    connection c(port_of(*svc));
    auto t0 = steady::now();
    ASSERT_TRUE(c.send("GET /2015-03-31/functions HTTP/1.1\r\nHost: x\r\n"));  // no blank line
    std::string reply;
    bool closed = c.read_until_closed(6, reply);
    double s = seconds_since(t0);
    ASSERT_TRUE(closed) << "a partial header must not hold the connection open forever";
    EXPECT_GE(s, 0.8);
    EXPECT_LT(s, 3.0);
    EXPECT_EQ(status_of(reply), 408) << reply;
    EXPECT_NE(lower(reply).find("x-amzn-errortype: requesttimeoutexception"), std::string::npos)
        << reply;
    auto j = json::parse(body_of(reply), nullptr, false);
    ASSERT_TRUE(j.is_object()) << reply;
    EXPECT_EQ(j["Type"], "User");
    EXPECT_TRUE(alive());
}

TEST_F(Timeouts, AConnectionThatSendsNothingIsClosedQuietly) {
    connection c(port_of(*svc));
    auto t0 = steady::now();
    std::string reply;
    ASSERT_TRUE(c.read_until_closed(6, reply));
    EXPECT_GE(seconds_since(t0), 0.8);
    EXPECT_LT(seconds_since(t0), 3.0);
    EXPECT_EQ(reply, "") << "nothing of a request arrived: no answer, just the close";
}

TEST_F(Timeouts, AStalledBodyIsAnswered408) {
    connection c(port_of(*svc));
    auto t0 = steady::now();
    ASSERT_TRUE(c.send("POST " + svc->invoke_url("echo").substr(svc->url().size()) +
                       " HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{\"a\":1"));
    std::string reply;
    ASSERT_TRUE(c.read_until_closed(6, reply)) << "a stalled body must not hold the connection";
    double s = seconds_since(t0);
    EXPECT_GE(s, 0.8);
    EXPECT_LT(s, 3.0);
    EXPECT_EQ(status_of(reply), 408) << reply;
    EXPECT_NE(reply.find("body"), std::string::npos) << reply;
}

TEST_F(Timeouts, ASlowButSteadyBodyIsNotCutOff) {
    // 3 KB in three parts 0.6 s apart: 1.2 s in all, longer than body_timeout (1 s), but above
    // body_min_rate (1000 bytes/s), so it is read to the end and answered.
    std::string payload = "\"" + std::string(2998, 'a') + "\"";
    connection c(port_of(*svc));
    ASSERT_TRUE(c.send("POST " + svc->invoke_url("echo").substr(svc->url().size()) +
                       " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(payload.size()) +
                       "\r\n\r\n"));
    for (std::size_t off = 0; off < payload.size(); off += 1000) {
        if (off) std::this_thread::sleep_for(std::chrono::milliseconds(600));
        ASSERT_TRUE(c.send(payload.substr(off, 1000)));
    }
    std::string reply = c.read_response(10);
    EXPECT_EQ(status_of(reply), 200) << reply.substr(0, 300);
    EXPECT_EQ(body_of(reply), payload);
}

TEST_F(Timeouts, AnIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
    connection c(port_of(*svc));
    ASSERT_TRUE(c.send(list_request));
    ASSERT_EQ(status_of(c.read_response(5)), 200);
    // Idle for longer than the header timeout (1 s) but not the idle timeout (2 s): still open
    // and usable.
    EXPECT_TRUE(c.quiet_for(1.4));
    ASSERT_TRUE(c.send(list_request));
    ASSERT_EQ(status_of(c.read_response(5)), 200)
        << "a keep-alive connection is good until the idle timeout";
    auto t0 = steady::now();
    std::string reply;
    ASSERT_TRUE(c.read_until_closed(8, reply)) << "an idle connection must not stay open forever";
    double s = seconds_since(t0);
    EXPECT_GE(s, 1.8);
    EXPECT_LT(s, 4.0);
    EXPECT_EQ(reply, "") << "an idle connection is closed without an answer";
}

TEST_F(Timeouts, AParkedInvokeOutlastsEveryConnectionTimeout) {
    // The function sleeps 3.5 s: longer than the header, body and idle timeouts together.
    connection c(port_of(*svc));
    auto t0 = steady::now();
    ASSERT_TRUE(c.send("POST " + svc->invoke_url("sleep").substr(svc->url().size()) +
                       " HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n3500"));
    std::string reply = c.read_response(20);
    EXPECT_GE(seconds_since(t0), 3.4);
    EXPECT_EQ(status_of(reply), 200) << reply;
    EXPECT_EQ(body_of(reply), R"({"slept":true})");
    // The connection is still good for the next request.
    ASSERT_TRUE(c.send(list_request));
    EXPECT_EQ(status_of(c.read_response(5)), 200);
}

TEST_F(Timeouts, AWarmSandboxOutlastsTheApiConnectionTimeouts) {
    // Its runtime's connection to the Runtime API sits idle (frozen) between invocations, longer
    // than the Lambda API's timeouts here; the Runtime API listener must leave it alone.
    ASSERT_EQ(svc->invoke("echo", "1").status, 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(2600));
    auto r = svc->invoke("echo", "2");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "2");
    auto report = report_fields(unbase64(r.header("x-amz-log-result")));
    EXPECT_EQ(report.count("Init Duration"), 0u)
        << "the same warm sandbox answered: " << report["line"];
}

// A service that serves at most 8 connections at once.
class Cap : public ::testing::Test {
  protected:
    static inline temp_dir* code_tmp = nullptr;
    static inline service_process* svc = nullptr;

    static void SetUpTestSuite() {
        code_tmp = new temp_dir;
        fs::path code = make_code_dir(code_tmp->path());
        std::string cfg = "[service]\nidle_timeout = 120\nmax_connections = 8\n";
        cfg += function_block("rtcap", "rtcap", code, 128, 20);
        svc = new service_process(cfg);
    }
    static void TearDownTestSuite() {
        delete svc;
        delete code_tmp;
        svc = nullptr;
        code_tmp = nullptr;
    }
};

TEST_F(Cap, BeyondTheCapANewConnectionGets503AndTheOthersKeepWorking) {
    std::vector<std::unique_ptr<connection>> held;
    for (int i = 0; i < 8; ++i) held.push_back(std::make_unique<connection>(port_of(*svc)));
    // Connections are accepted in order: once the last one is answered, all 8 are open.
    ASSERT_TRUE(held.back()->send(list_request));
    ASSERT_EQ(status_of(held.back()->read_response(5)), 200);

    auto over = http("GET", svc->url() + "/2015-03-31/functions", {}, {}, 10);
    EXPECT_EQ(over.status, 503);
    EXPECT_EQ(over.header("x-amzn-errortype"), "ServiceException");
    auto j = json::parse(over.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << over.body;
    EXPECT_EQ(j["Type"], "Service");
    EXPECT_NE(j["message"].get<std::string>().find("too many open connections"), std::string::npos)
        << over.body;

    // The connections already open are served as before.
    for (auto& c : held) {
        ASSERT_TRUE(c->send(list_request));
        EXPECT_EQ(status_of(c->read_response(5)), 200);
    }
    // One closes: a new connection is served again.
    held.front()->close();
    long status = 0;
    auto t0 = steady::now();
    while (seconds_since(t0) < 5) {
        status = http("GET", svc->url() + "/2015-03-31/functions", {}, {}, 10).status;
        if (status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(status, 200);
}

TEST_F(Cap, ARuntimeApiListenerHasItsOwnCap) {
    // The function opens 70 more connections to its own Runtime API, capped at 64 with its
    // runtime's own connection: 63 are served, the rest get 503 at once.
    // Another test of this suite may have just closed its 8 connections; until the service has
    // seen those closes, a new connection is over the cap of 8 and gets 503. Wait for a slot.
    auto t0 = steady::now();
    while (seconds_since(t0) < 5 &&
           http("GET", svc->url() + "/2015-03-31/functions", {}, {}, 10).status != 200)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto r = http("POST", svc->invoke_url("rtcap"), "{}", {}, 30);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j["served"], 63) << r.body;
    EXPECT_EQ(j["refused"], 7) << r.body;
    EXPECT_EQ(j["other"], 0) << r.body;
    std::string refusal = j["refusal"].get<std::string>();
    EXPECT_NE(refusal.find("\"errorType\":\"ServiceUnavailable\""), std::string::npos) << refusal;
    // And the sandbox still answers afterwards.
    EXPECT_EQ(http("POST", svc->invoke_url("rtcap"), "{}", {}, 30).status, 200);
}

TEST(FileDescriptors, RunningOutNeitherSpinsNorStopsTheService) {
    service_process svc("[service]\nidle_timeout = 120\n");
    // The service may now open 64 descriptors; it holds some already.
    rlimit lim{64, 64};
    ASSERT_EQ(::prlimit(svc.pid(), RLIMIT_NOFILE, &lim, nullptr), 0);
    std::size_t before = open_fds(svc.pid());
    ASSERT_LT(before, 64u);

    std::vector<std::unique_ptr<connection>> held;
    for (int i = 0; i < 80; ++i) held.push_back(std::make_unique<connection>(port_of(svc)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_GE(open_fds(svc.pid()), 60u) << "the descriptors ran out";

    double cpu0 = cpu_seconds(svc.pid());
    auto t0 = steady::now();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    double share = (cpu_seconds(svc.pid()) - cpu0) / seconds_since(t0);
    std::printf("service CPU while out of descriptors: %.1f %%\n", share * 100);
    EXPECT_LT(share, 0.25) << "the accept loop must not spin when descriptors run out";

    held.clear();
    auto t1 = steady::now();
    auto r = http("GET", svc.url() + "/2015-03-31/functions", {}, {}, 10);
    EXPECT_EQ(r.status, 200);
    EXPECT_LT(seconds_since(t1), 5.0) << "it answers again once connections are closed";
}

TEST(ConnectionSettings, InvalidValuesAreRefusedNamingTheKey) {
    for (const char* bad :
         {"header_timeout = -1", "body_timeout = \"x\"", "connection_idle_timeout = 100000",
          "max_connections = 0", "body_min_rate = -5"}) {
        temp_dir t;
        write_file(t.path() / "s.toml", std::string("[service]\n") + bad + "\n");
        int status = 0;
        std::string out = run_capture("timeout 10 " + std::string(LAMBENCH_BIN) +
                                          " serve --listen 127.0.0.1:0 --config " +
                                          (t.path() / "s.toml").string() + " --state-dir " +
                                          (t.path() / "s").string() + " 2>&1",
                                      &status);
        EXPECT_NE(status, 0) << bad;
        std::string key(bad, std::strchr(bad, ' ') - bad);
        EXPECT_NE(out.find(key), std::string::npos) << bad << ": " << out;
    }
}

}  // namespace
