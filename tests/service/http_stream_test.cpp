// The HTTP server's streaming paths, in process over loopback sockets: a request body claimed by
// a sink (chunks as they arrive, trailers to the handler, refusals, bounded buffers, hold-off)
// and an answer written in pieces (chunked, keep-alive after it).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "service/http_server.hpp"

namespace svc = lambench::service;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

struct recorded {
    std::mutex m;
    std::vector<std::pair<std::string, bool>> pieces;
    std::vector<std::string> trailers;  // "name: value" of the X-* fields the handler saw
    std::string body;
    int handled = 0;
    bool aborted = false;
    std::chrono::steady_clock::time_point handled_at;
};

class recording_sink final : public svc::http::body_sink {
  public:
    recording_sink(recorded& r, std::size_t limit, std::chrono::milliseconds hold)
        : r_(r), limit_(limit), hold_(hold) {}
    void data(std::string_view bytes, bool chunk_end) override {
        std::lock_guard lock(r_.m);
        got_ += bytes.size();
        if (got_ > limit_) throw svc::api_error(413, "RequestEntityTooLarge", "too much");
        r_.pieces.emplace_back(std::string(bytes), chunk_end);
    }
    std::chrono::steady_clock::duration delay() override {
        return std::exchange(hold_, std::chrono::milliseconds(0));
    }
    void aborted() override {
        std::lock_guard lock(r_.m);
        r_.aborted = true;
    }

  private:
    recorded& r_;
    std::size_t limit_, got_ = 0;
    std::chrono::milliseconds hold_;
};

class HttpStreaming : public ::testing::Test {
  protected:
    void start(std::size_t limit = 1 << 20, std::chrono::milliseconds hold = 0ms) {
        svc::http::server_options o;
        o.style = svc::http::error_style::runtime_api;
        o.stream = [this, limit,
                    hold](const svc::http::request& h) -> std::shared_ptr<svc::http::body_sink> {
            if (h.find("X-Stream") == h.end()) return nullptr;
            return std::make_shared<recording_sink>(rec, limit, hold);
        };
        server = std::make_unique<svc::http::server>(
            io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0),
            [this](svc::http::request&& req, const svc::http::responder& reply) {
                {
                    std::lock_guard lock(rec.m);
                    ++rec.handled;
                    rec.handled_at = std::chrono::steady_clock::now();
                    rec.body = req.body();
                    for (const auto& f : req)
                        if (f.name_string().starts_with("X-T"))
                            rec.trailers.push_back(std::string(f.name_string()) + ": " +
                                                   std::string(f.value()));
                }
                if (req.target() == "/pieces") return answer_in_pieces(reply);
                svc::http::response res{svc::http::bhttp::status::accepted, 11};
                res.body() = "ok";
                reply.send(std::move(res));
            },
            o);
        thread = std::thread([this] { io.run(); });
    }

    void answer_in_pieces(const svc::http::responder& reply) {
        svc::http::response head{svc::http::bhttp::status::ok, 11};
        head.set("X-Kind", "pieces");
        reply.start_stream(std::move(head));
        reply.stream("first");
        auto timer = std::make_shared<asio::steady_timer>(io, 150ms);
        timer->async_wait([reply, timer](boost::system::error_code) {
            reply.stream("second");
            reply.stream("");  // nothing: not a terminating chunk
            reply.end_stream();
        });
    }

    void TearDown() override {
        asio::post(io, [this] { server->close(); });
        io.stop();
        if (thread.joinable()) thread.join();
    }

    int connect_client() {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(server->port());
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
        return fd;
    }
    static void send_all(int fd, std::string_view s) {
        while (!s.empty()) {
            ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
            if (n <= 0) return;
            s.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    // Reads until `until` appears, the peer closes, or the time runs out; `closed` says which.
    static std::string read_until(int fd, std::string_view until, bool* closed = nullptr,
                                  std::chrono::milliseconds limit = 5000ms) {
        std::string out;
        auto end = std::chrono::steady_clock::now() + limit;
        if (closed) *closed = false;
        while (std::chrono::steady_clock::now() < end) {
            if (!until.empty() && out.find(until) != std::string::npos) return out;
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            char buf[65536];
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                if (closed) *closed = true;
                return out;
            }
            out.append(buf, static_cast<std::size_t>(n));
        }
        return out;
    }

    asio::io_context io;
    std::unique_ptr<svc::http::server> server;
    std::thread thread;
    recorded rec;
};

const std::string head =
    "POST /r HTTP/1.1\r\nHost: x\r\nX-Stream: 1\r\nTransfer-Encoding: chunked\r\n\r\n";

}  // namespace

TEST_F(HttpStreaming, ChunksGoToTheSinkAndTrailersToTheHandler) {
    start();
    int fd = connect_client();
    ASSERT_GE(fd, 0);
    send_all(fd, head + "3\r\nabc\r\n");
    std::this_thread::sleep_for(100ms);
    {
        std::lock_guard lock(rec.m);  // the first chunk is there before the body ends
        ASSERT_EQ(rec.pieces.size(), 1u);
        EXPECT_EQ(rec.pieces[0], std::make_pair(std::string("abc"), true));
        EXPECT_EQ(rec.handled, 0);
    }
    send_all(fd, "5;ext=1\r\ndefgh\r\n0\r\nX-Type: Boom\r\nX-Trailer-Body: e30=\r\n\r\n");
    std::string res = read_until(fd, "ok");
    EXPECT_EQ(res.rfind("HTTP/1.1 202", 0), 0u) << res;
    std::lock_guard lock(rec.m);
    ASSERT_EQ(rec.pieces.size(), 2u);
    EXPECT_EQ(rec.pieces[1].first, "defgh");
    EXPECT_EQ(rec.body, "");
    EXPECT_EQ(rec.trailers, (std::vector<std::string>{"X-Type: Boom", "X-Trailer-Body: e30="}));
    ::close(fd);
}

TEST_F(HttpStreaming, AChunkArrivingInPartsIsMarkedEndedOnlyAtItsLastByte) {
    start();
    int fd = connect_client();
    send_all(fd, head + "6\r\nabc");
    std::this_thread::sleep_for(100ms);
    send_all(fd, "def\r\n0\r\n\r\n");
    read_until(fd, "ok");
    std::lock_guard lock(rec.m);
    ASSERT_EQ(rec.pieces.size(), 2u);
    EXPECT_EQ(rec.pieces[0], std::make_pair(std::string("abc"), false));
    EXPECT_EQ(rec.pieces[1], std::make_pair(std::string("def"), true));
    ::close(fd);
}

TEST_F(HttpStreaming, ASinkRefusalIsTheAnswerAndTheConnectionCloses) {
    start(4);
    int fd = connect_client();
    send_all(fd, head + "3\r\nabc\r\n3\r\ndef\r\n");
    bool closed = false;
    std::string res = read_until(fd, "", &closed);
    EXPECT_EQ(res.rfind("HTTP/1.1 413", 0), 0u) << res;
    EXPECT_NE(res.find("RequestEntityTooLarge"), std::string::npos);
    EXPECT_TRUE(closed);
    std::lock_guard lock(rec.m);
    EXPECT_EQ(rec.handled, 0);
    ::close(fd);
}

TEST_F(HttpStreaming, EndlessTrailersAreRefusedWithinTheBufferBound) {
    start();
    int fd = connect_client();
    send_all(fd, head + "0\r\n");
    std::string junk = "X-Junk: " + std::string(1000, 'a') + "\r\n";
    std::string res;
    bool closed = false;
    for (int i = 0; i < 3000 && !closed; ++i) {  // up to 3 MB, never ending the section
        send_all(fd, junk);
        if (i % 100 == 0) res += read_until(fd, "", &closed, 1ms);
    }
    res += read_until(fd, "", &closed);
    EXPECT_EQ(res.rfind("HTTP/1.1 400", 0), 0u) << res.substr(0, 200);
    EXPECT_TRUE(closed);
    ::close(fd);
}

TEST_F(HttpStreaming, MalformedChunkSizeIs400AndTheSinkHearsTheAbort) {
    start();
    int fd = connect_client();
    send_all(fd, head + "zz\r\nabc\r\n");
    bool closed = false;
    std::string res = read_until(fd, "", &closed);
    EXPECT_EQ(res.rfind("HTTP/1.1 400", 0), 0u) << res;
    ::close(fd);
    std::lock_guard lock(rec.m);
    EXPECT_TRUE(rec.aborted);
}

TEST_F(HttpStreaming, TheSinkCanHoldOffTheNextRead) {
    start(1 << 20, 300ms);
    int fd = connect_client();
    auto t0 = std::chrono::steady_clock::now();
    send_all(fd, head + "3\r\nabc\r\n0\r\n\r\n");
    read_until(fd, "ok");
    std::lock_guard lock(rec.m);
    EXPECT_GE(rec.handled_at - t0, 290ms);
    ::close(fd);
}

TEST_F(HttpStreaming, AnAnswerInPiecesIsChunkedAndKeepsTheConnection) {
    start();
    int fd = connect_client();
    send_all(fd, "GET /pieces HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string first = read_until(fd, "first\r\n");
    EXPECT_NE(first.find("Transfer-Encoding: chunked"), std::string::npos) << first;
    EXPECT_NE(first.find("\r\n\r\n5\r\nfirst\r\n"), std::string::npos) << first;
    EXPECT_EQ(first.find("second"), std::string::npos) << "sent before it was written";
    std::string rest = read_until(fd, "0\r\n\r\n");
    EXPECT_NE(rest.find("6\r\nsecond\r\n0\r\n\r\n"), std::string::npos) << rest;
    // The connection serves the next request.
    send_all(fd, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string next = read_until(fd, "ok");
    EXPECT_EQ(next.rfind("HTTP/1.1 202", 0), 0u) << next;
    ::close(fd);
}

TEST_F(HttpStreaming, AnHttp10ClientReadsPiecesToTheClose) {
    start();
    int fd = connect_client();
    send_all(fd, "GET /pieces HTTP/1.0\r\nHost: x\r\n\r\n");
    bool closed = false;
    std::string res = read_until(fd, "", &closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(res.find("chunked"), std::string::npos) << res;
    EXPECT_NE(res.find("\r\n\r\nfirstsecond"), std::string::npos) << res;
    ::close(fd);
}
