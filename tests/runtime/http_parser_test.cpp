// The runtime's HTTP response reader against well-formed and malformed byte streams, fed
// through a real socketpair.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "lambench/runtime.hpp"
#include "runtime/http.hpp"

using namespace lambench::runtime::detail;

namespace {

// The reader's end of a socketpair whose other end received `bytes` and was closed.
class fed_socket {
  public:
    explicit fed_socket(const std::string& bytes, bool trickle = false) {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
            throw std::runtime_error("socketpair failed");
        reader_.reset(sv[0]);
        int w = sv[1];
        writer_ = std::thread([w, bytes, trickle] {
            if (!trickle) {
                std::size_t off = 0;
                while (off < bytes.size()) {
                    ssize_t n = ::write(w, bytes.data() + off, bytes.size() - off);
                    if (n <= 0) break;
                    off += static_cast<std::size_t>(n);
                }
            } else {
                // Byte by byte, so every delimiter straddles reads somewhere.
                for (char c : bytes) {
                    if (::write(w, &c, 1) != 1) break;
                    std::this_thread::sleep_for(std::chrono::microseconds(20));
                }
            }
            ::close(w);
        });
        r_.attach(reader_.get());
    }
    ~fed_socket() { writer_.join(); }

    std::expected<void, http_error> read() { return r_.read(resp, body); }

    http_response resp;
    std::string body;

  private:
    unique_fd reader_;
    std::thread writer_;
    response_reader r_;
};

}  // namespace

TEST(HttpReader, ContentLengthBodyAndCaseInsensitiveHeaders) {
    fed_socket s(
        "HTTP/1.1 200 OK\r\nlambda-runtime-aws-request-id:  abc \r\n"
        "Content-Length: 5\r\n\r\nhello");
    ASSERT_TRUE(s.read());
    EXPECT_EQ(s.resp.status, 200);
    EXPECT_EQ(s.resp.header("Lambda-Runtime-Aws-Request-Id"), "abc");
    EXPECT_EQ(s.resp.header("X-Absent"), "");
    EXPECT_EQ(s.body, "hello");
    EXPECT_TRUE(s.resp.keep_alive);
}

TEST(HttpReader, TwoResponsesOnOneConnection) {
    fed_socket s(
        "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n"
        "Content-Length: 3\r\n\r\nabc");
    ASSERT_TRUE(s.read());
    EXPECT_EQ(s.resp.status, 202);
    EXPECT_EQ(s.body, "ok");
    ASSERT_TRUE(s.read());
    EXPECT_EQ(s.resp.status, 200);
    EXPECT_EQ(s.body, "abc");
}

TEST(HttpReader, ChunkedWithExtensionsAndTrailers) {
    fed_socket s(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;name=value\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: 1\r\n\r\n",
        /*trickle=*/true);
    ASSERT_TRUE(s.read()) << s.read().error().message;
    EXPECT_EQ(s.body, "hello, chunked!");
}

TEST(HttpReader, ByteByByteDeliveryOfHeadAndBody) {
    fed_socket s("HTTP/1.1 200 OK\r\nA: 1\r\nContent-Length: 4\r\n\r\nbody", true);
    ASSERT_TRUE(s.read());
    EXPECT_EQ(s.resp.header("a"), "1");
    EXPECT_EQ(s.body, "body");
}

TEST(HttpReader, BodyUntilCloseWithoutLength) {
    fed_socket s("HTTP/1.0 200 OK\r\n\r\nuntil the end");
    ASSERT_TRUE(s.read());
    EXPECT_EQ(s.body, "until the end");
    EXPECT_FALSE(s.resp.keep_alive);
}

TEST(HttpReader, InterimResponseIsSkipped) {
    fed_socket s("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
    ASSERT_TRUE(s.read());
    EXPECT_EQ(s.resp.status, 202);
    EXPECT_EQ(s.body, "");
}

TEST(HttpReader, ConnectionCloseHeaderEndsKeepAlive) {
    fed_socket s("HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    ASSERT_TRUE(s.read());
    EXPECT_FALSE(s.resp.keep_alive);
}

TEST(HttpReader, EofBeforeAnyByteIsTransient) {
    fed_socket s("");
    auto r = s.read();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, http_errc::closed_before_response);
    EXPECT_TRUE(r.error().transient());
}

struct bad_case {
    const char* name;
    std::string bytes;
    http_errc code;
    const char* message_part;
};

class HttpReaderRejects : public ::testing::TestWithParam<bad_case> {};

TEST_P(HttpReaderRejects, WithAClearError) {
    fed_socket s(GetParam().bytes);
    auto r = s.read();
    ASSERT_FALSE(r) << "accepted: " << GetParam().name;
    EXPECT_EQ(r.error().code, GetParam().code) << r.error().message;
    EXPECT_NE(r.error().message.find(GetParam().message_part), std::string::npos)
        << r.error().message;
    EXPECT_FALSE(r.error().transient());
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, HttpReaderRejects,
    ::testing::Values(
        bad_case{"not_http", "SSH-2.0-OpenSSH\r\n\r\n", http_errc::malformed, "status line"},
        bad_case{"http2", "HTTP/2 200 OK\r\n\r\n", http_errc::malformed, "status line"},
        bad_case{"letters_in_status", "HTTP/1.1 2x0 OK\r\n\r\n", http_errc::malformed,
                 "status code"},
        bad_case{"status_too_long", "HTTP/1.1 2000 OK\r\n\r\n", http_errc::malformed,
                 "status line"},
        bad_case{"header_without_colon", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", http_errc::malformed,
                 "header line"},
        bad_case{"space_in_header_name", "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
                 http_errc::malformed, "header name"},
        bad_case{"folded_header", "HTTP/1.1 200 OK\r\nA: 1\r\n  folded\r\n\r\n",
                 http_errc::malformed, "folded"},
        bad_case{"oversized_head",
                 "HTTP/1.1 200 OK\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n",
                 http_errc::too_large, "exceeds"},
        bad_case{"head_truncated", "HTTP/1.1 200 OK\r\nContent-Le", http_errc::malformed,
                 "inside the response head"},
        bad_case{"bad_content_length", "HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n",
                 http_errc::malformed, "Content-Length"},
        bad_case{"negative_content_length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                 http_errc::malformed, "Content-Length"},
        bad_case{"conflicting_content_length",
                 "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                 http_errc::malformed, "conflicting"},
        bad_case{"huge_content_length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
                 http_errc::too_large, "exceeds"},
        bad_case{"truncated_body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789",
                 http_errc::malformed, "10 of 100"},
        bad_case{"bad_chunk_size",
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
                 http_errc::malformed, "bad chunk size"},
        bad_case{"empty_chunk_size",
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\nab\r\n0\r\n\r\n",
                 http_errc::malformed, "bad chunk size"},
        bad_case{"huge_chunk_size",
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
                 http_errc::too_large, "chunk size"},
        bad_case{"chunk_longer_than_size",
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
                 http_errc::malformed, "longer than its size"},
        bad_case{"truncated_chunk",
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
                 http_errc::malformed, "of 16"},
        bad_case{"chunked_without_last_chunk",
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
                 http_errc::malformed, "chunked body"},
        bad_case{"endless_chunk_line",
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(5000, '1'),
                 http_errc::too_large, "chunk line"},
        bad_case{"unsupported_transfer_encoding",
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", http_errc::malformed,
                 "Transfer-Encoding"}),
    [](const ::testing::TestParamInfo<bad_case>& p) { return std::string(p.param.name); });

TEST(Endpoint, ParsesNumericAddresses) {
    auto v4 = parse_endpoint("127.0.0.1:9001");
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->addr.ss_family, AF_INET);
    EXPECT_EQ(v4->host_header, "127.0.0.1:9001");
    auto local = parse_endpoint("localhost:9001");
    ASSERT_TRUE(local);
    EXPECT_EQ(local->addr.ss_family, AF_INET);
    auto v6 = parse_endpoint("[::1]:9001");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->addr.ss_family, AF_INET6);
}

TEST(Endpoint, RejectsBadInput) {
    for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000",
                            "127.0.0.1:90x", "example.com:9001", "[::1:9001", "[::1]9001"}) {
        auto ep = parse_endpoint(bad);
        EXPECT_FALSE(ep) << "accepted '" << bad << "'";
        if (!ep) {
            EXPECT_FALSE(ep.error().empty());
        }
    }
}

// The public response type: a success carries a content type, a failure an error type, and
// neither accessor answers for the other.
TEST(Response, SuccessAndFailureKeepTheirTypesApart) {
    auto ok = lambench::runtime::response::success("{}", "text/plain");
    EXPECT_FALSE(ok.is_failure());
    EXPECT_EQ(ok.content_type(), "text/plain");
    EXPECT_EQ(ok.error_type(), "");
    auto bad = lambench::runtime::response::failure("boom", "Custom.Error");
    EXPECT_TRUE(bad.is_failure());
    EXPECT_EQ(bad.body(), "boom");
    EXPECT_EQ(bad.error_type(), "Custom.Error");
    EXPECT_EQ(bad.content_type(), "");
}
