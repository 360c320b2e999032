// The minimal HTTP/1.1 client the runtime needs: one kept-alive connection over a raw POSIX
// socket, a buffered response reader (Content-Length, chunked, read-to-close), and retries of
// transient connection failures. Private to the runtime library: nothing here is public API.
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "posix/unique_fd.hpp"

namespace lambench::runtime::detail {

using lambench::posix::unique_fd;

enum class http_errc {
    connect_failed,          // socket()/connect() failed
    closed_before_response,  // EOF or reset before the first byte of a response: retryable
    send_failed,             // the request could not be written (EPIPE/ECONNRESET): retryable
    io_error,                // recv() failed mid-response
    malformed,               // the peer sent something that is not HTTP/1.x
    too_large,               // head or body over the reader's limits
};

struct http_error {
    http_errc code;
    std::string message;
    int sys_errno = 0;  // errno of the failing call, 0 when not a system error

    bool transient() const;
};

struct http_header {
    std::string_view name;
    std::string_view value;
};

struct http_response {
    int status = 0;
    bool keep_alive = true;
    std::string head;                  // raw status line + headers; the views point into it
    std::vector<http_header> headers;  // in arrival order

    // Case-insensitive lookup; empty view when absent.
    std::string_view header(std::string_view name) const;
};

// Reads responses from a connected stream socket. The buffer is reused across responses, so
// the steady state allocates nothing beyond growing the caller's strings.
class response_reader {
  public:
    static constexpr std::size_t max_head_bytes = 64 * 1024;
    static constexpr std::size_t max_body_bytes = 64 * 1024 * 1024;
    static constexpr std::size_t max_line_bytes = 4096;  // chunk-size and trailer lines
    static constexpr std::size_t initial_buffer_bytes = 16 * 1024;
    static constexpr std::size_t max_buffer_bytes = 2 * max_head_bytes;

    response_reader();
    void attach(int fd);  // a new connection: drop anything buffered from the old one

    // Reads one whole response; the body lands in `body` (replaced, capacity reused).
    std::expected<void, http_error> read(http_response& resp, std::string& body);

  private:
    std::expected<void, http_error> read_head(http_response& resp);
    std::expected<void, http_error> read_chunked(std::string& body);
    std::expected<void, http_error> read_exact(std::string& body, std::size_t n);
    std::expected<void, http_error> read_to_close(std::string& body);
    std::expected<std::string_view, http_error> read_line();
    // recv() into the free tail of the buffer; returns bytes read, 0 on EOF.
    std::expected<std::size_t, http_error> fill();
    std::size_t buffered() const { return end_ - begin_; }

    int fd_ = -1;
    std::string buf_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

struct endpoint {
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    std::string host_header;  // "host:port" exactly as configured
};

// "127.0.0.1:9001", "localhost:9001", "[::1]:9001". Numeric addresses only (plus localhost):
// name resolution would drag NSS into static builds and cost cold-start time.
std::expected<endpoint, std::string> parse_endpoint(std::string_view host_port);

// One HTTP/1.1 connection, opened lazily and reopened when the server closes it.
class http_client {
  public:
    explicit http_client(endpoint ep);

    // Sends `method path` with the extra header lines (each "Name: value", no CRLF) and body,
    // then reads the response. A transient failure (refused/reset before any byte of the
    // response) reconnects and retries with backoff 10, 20, 40, 80, 160 ms.
    //
    // With `then_get`, a "GET then_get" follows in the same write (HTTP/1.1 pipelining): one
    // syscall and one TCP segment fewer per invocation. Its response is left for read_pending().
    std::expected<void, http_error> request(std::string_view method, std::string_view path,
                                            std::span<const http_header> headers,
                                            std::string_view body, http_response& resp,
                                            std::string& resp_body, std::string_view then_get = {});

    // True when a pipelined GET was sent and its connection is still open.
    bool pending() const { return pending_; }
    // Reads the pipelined GET's response; if the server closed without answering it, sends
    // `GET path` again as an ordinary request.
    std::expected<void, http_error> read_pending(std::string_view path, http_response& resp,
                                                 std::string& resp_body);

    const std::string& target() const { return ep_.host_header; }

    // A request whose body goes out while it is produced (Transfer-Encoding: chunked): the head,
    // then each piece as one chunk, then the last chunk with trailer fields and the response.
    // Never retried (the body cannot be sent twice) and never pipelined.
    std::expected<void, http_error> begin_chunked(std::string_view method, std::string_view path,
                                                  std::span<const http_header> headers);
    std::expected<void, http_error> send_chunk(std::string_view data);
    // True when the server has answered while the body is still being sent (a refusal).
    bool answered_early() const;
    std::expected<void, http_error> end_chunked(std::span<const http_header> trailers,
                                                http_response& resp, std::string& resp_body);

  private:
    std::expected<void, http_error> send_parts(std::string_view a, std::string_view b = {},
                                               std::string_view c = {});
    std::expected<void, http_error> connect();
    std::expected<void, http_error> send_request(std::string_view body);
    std::expected<void, http_error> attempt(std::string_view body, http_response& resp,
                                            std::string& resp_body);
    void build_head(std::string& out, std::string_view method, std::string_view path,
                    std::span<const http_header> headers, std::string_view body);

    endpoint ep_;
    unique_fd fd_;
    response_reader reader_;
    std::string req_;   // request head, reused
    std::string tail_;  // pipelined GET, reused; empty when none
    bool pending_ = false;
};

}  // namespace lambench::runtime::detail
