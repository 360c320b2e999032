// The service's HTTP request handling, driven as a client drives it: the fuzz input is written to
// a real http::server (Boost.Beast, the same session code and handler `lambench serve` runs) over
// one loopback connection, the write side is shut down, and the answer is read until the server
// closes. One thread: the client socket is non-blocking and the server's io_context is polled in
// between. What the server wrote is then checked: a sequence of well-formed HTTP responses whose
// JSON bodies parse (so no client byte was echoed into invalid JSON or invalid UTF-8).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "service/errors.hpp"
#include "service/http_server.hpp"

namespace lambench_fuzz {

// Writes `request` on a new connection to 127.0.0.1:port and returns every byte the server sent
// until it closed the connection. A server that neither answers nor closes within `limit` is a
// finding (a hang).
inline std::string exchange(boost::asio::io_context& io, unsigned short port,
                            std::string_view request,
                            std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) violated("socket() failed", std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Non-blocking: the kernel finishes the loopback handshake by itself (accept comes later),
    // and libFuzzer's timer signals cannot interrupt it.
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
        errno != EINPROGRESS && errno != EINTR)
        violated("connect() to the server failed", std::strerror(errno));

    std::string answer;
    std::size_t sent = 0;
    bool write_done = false, eof = false;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    char buf[16384];
    while (!eof) {
        bool progress = false;
        if (!write_done) {
            if (sent < request.size()) {
                ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
                if (n > 0) {
                    sent += static_cast<std::size_t>(n);
                    progress = true;
                } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                    write_done = true;  // the server closed early (EPIPE/ECONNRESET): fine
                }
            }
            if (sent == request.size() && !write_done) {
                ::shutdown(fd, SHUT_WR);
                write_done = true;
                progress = true;
            }
        }
        for (;;) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                answer.append(buf, static_cast<std::size_t>(n));
                progress = true;
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EINTR)) eof = true;  // closed or reset
            break;
        }
        if (eof) break;
        if (io.poll() > 0) progress = true;
        if (!progress) {
            if (std::chrono::steady_clock::now() > deadline)
                violated("the server neither answered nor closed the connection", request);
            // Nothing ready on either side: wait a little for the server's timers or the kernel.
            io.run_one_for(std::chrono::milliseconds(1));
        }
    }
    ::close(fd);
    // Let the server finish with the connection (linger, session teardown) before the next input.
    for (int i = 0; i < 4 && io.poll() > 0; ++i) {
    }
    return answer;
}

// The bytes a server wrote must be whole HTTP responses (the last one may be cut only if the
// connection was reset), and every JSON body must parse: client bytes are echoed in error
// messages, and one invalid UTF-8 byte must not make the service write broken JSON.
inline void check_responses(std::string_view wire, std::string_view request) {
    namespace bhttp = boost::beast::http;
    std::size_t offset = 0;
    while (offset < wire.size()) {
        bhttp::response_parser<bhttp::string_body> parser;
        parser.eager(true);
        parser.body_limit(boost::none);
        parser.header_limit(1024 * 1024);
        boost::beast::error_code ec;
        const std::size_t start = offset;
        for (;;) {
            std::size_t n =
                parser.put(boost::asio::buffer(wire.data() + offset, wire.size() - offset), ec);
            offset += n;
            // need_more: what is left is not enough (put() must not see the same bytes again),
            // and nothing more will come: the connection ended.
            if (ec == bhttp::error::need_more) {
                ec = {};
                parser.put_eof(ec);
                break;
            }
            if (ec || parser.is_done()) break;
            if (n == 0) {
                parser.put_eof(ec);
                break;
            }
        }
        if (ec || !parser.is_done())
            violated("the server wrote something that is not an HTTP response",
                     std::string(wire.substr(start)) + "\n--- for the request ---\n" +
                         std::string(request));
        const auto& res = parser.get();
        auto ct = res[bhttp::field::content_type];
        if (ct.starts_with("application/json") && !res.body().empty() &&
            !nlohmann::json::accept(res.body()))
            violated("the server wrote a JSON body that does not parse",
                     res.body() + "\n--- for the request ---\n" + std::string(request));
        if (offset == start) break;
    }
}

// The in-memory way: the input is parsed as the session parses a connection's bytes (Beast's
// request_parser with the session's limits), request after request while the connection would
// stay open; each request goes to `handle`, which may throw api_error. What the session would
// answer for a malformed request, an oversized body or an api_error is built with the service's
// make_error_response, and its JSON body must parse. Any other exception escapes (a finding:
// the service would answer 500 and log it).
template <class Handle>
void drive_requests(std::string_view input, std::uint64_t body_limit,
                    lambench::service::http::error_style style, Handle&& handle) {
    namespace bhttp = boost::beast::http;
    namespace svc = lambench::service;
    const bool runtime = style == svc::http::error_style::runtime_api;
    auto answer_error = [&](const svc::api_error& e, unsigned version, bool keep_alive) {
        auto res = svc::http::make_error_response(e, style, version, keep_alive);
        if (!nlohmann::json::accept(res.body()))
            violated("make_error_response wrote a JSON body that does not parse",
                     res.body() + "\n--- for the request ---\n" + std::string(input));
    };
    std::size_t offset = 0;
    while (offset < input.size()) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(64 * 1024);
        parser.body_limit(body_limit);
        parser.eager(true);
        boost::beast::error_code ec;
        for (;;) {
            std::size_t n =
                parser.put(boost::asio::buffer(input.data() + offset, input.size() - offset), ec);
            offset += n;
            // The rest of the request has not arrived (and put() must not be given the same
            // bytes again): the session would wait for more, or see the connection end.
            if (ec == bhttp::error::need_more) return;
            if (ec || parser.is_done()) break;
            if (n == 0) return;
        }
        if (ec == bhttp::error::body_limit) {
            answer_error(
                svc::api_error(413, runtime ? "RequestEntityTooLarge" : "RequestTooLargeException",
                               "Request body too large"),
                11, false);
            return;
        }
        if (ec) {
            answer_error(
                svc::api_error(400, runtime ? "InvalidRequest" : "InvalidRequestContentException",
                               "malformed HTTP request: " + ec.message()),
                11, false);
            return;
        }
        svc::http::request req = parser.release();
        const unsigned version = req.version();
        const bool keep_alive = req.keep_alive();
        try {
            handle(std::move(req));
        } catch (const svc::api_error& e) {
            answer_error(e, version, keep_alive);
        }
        if (!keep_alive) return;
    }
}

}  // namespace lambench_fuzz
