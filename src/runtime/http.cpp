#include "http.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace lambench::runtime::detail {
namespace {

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Header lookups run several times per invocation over every header of the event, so the
// common mismatch (a different length) costs one compare and no loop.
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i] && lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// RFC 9110 tchar, as a table: checked for every byte of every header name of every response
// (strchr per byte was an eighth of the client's user-space instructions).
constexpr auto token_chars = [] {
    std::array<bool, 256> t{};
    for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
    return t;
}();

bool is_token_char(char c) {
    return token_chars[static_cast<unsigned char>(c)];
}

std::unexpected<http_error> fail(http_errc code, std::string message, int err = 0) {
    return std::unexpected(http_error{code, std::move(message), err});
}

std::unexpected<http_error> sys_fail(http_errc code, std::string_view call, int err) {
    std::string msg(call);
    msg += ": ";
    msg += std::strerror(err);
    return fail(code, std::move(msg), err);
}

bool connection_lost(int err) {
    return err == ECONNRESET || err == EPIPE || err == ECONNABORTED || err == ECONNREFUSED;
}

void sleep_ms(long ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1000000L};
    while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

}  // namespace

bool http_error::transient() const {
    return code == http_errc::closed_before_response || code == http_errc::send_failed ||
           (code == http_errc::connect_failed && connection_lost(sys_errno));
}

std::string_view http_response::header(std::string_view name) const {
    for (const auto& h : headers)
        if (iequals(h.name, name)) return h.value;
    return {};
}

// ---------------------------------------------------------------------------------------------
// response_reader

// Start small: every page touched before the first /next is cold-start time. The buffer
// grows (up to max_buffer_bytes) only when a response head needs it.
response_reader::response_reader() : buf_(initial_buffer_bytes, '\0') {}

void response_reader::attach(int fd) {
    fd_ = fd;
    begin_ = end_ = 0;
}

std::expected<std::size_t, http_error> response_reader::fill() {
    if (end_ == buf_.size()) {
        if (begin_ > 0) {
            std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        } else if (buf_.size() < max_buffer_bytes) {
            buf_.resize(std::min(buf_.size() * 2, max_buffer_bytes));
        } else {
            return fail(http_errc::too_large, "HTTP line or head exceeds buffer");
        }
    }
    for (;;) {
        ssize_t n = ::recv(fd_, buf_.data() + end_, buf_.size() - end_, 0);
        if (n >= 0) {
            end_ += static_cast<std::size_t>(n);
            return static_cast<std::size_t>(n);
        }
        if (errno == EINTR) continue;
        return sys_fail(http_errc::io_error, "recv", errno);
    }
}

std::expected<void, http_error> response_reader::read_head(http_response& resp) {
    std::size_t scanned = 0;  // bytes after begin_ known not to start the terminator
    bool got_any = buffered() > 0;
    std::size_t head_end = 0;
    for (;;) {
        std::string_view avail(buf_.data() + begin_ + scanned, buffered() - scanned);
        auto pos = avail.find("\r\n\r\n");
        if (pos != std::string_view::npos) {
            head_end = begin_ + scanned + pos + 4;
            break;
        }
        // Rescan the last 3 bytes next time: the terminator may straddle two reads.
        scanned = buffered() >= 3 ? buffered() - 3 : 0;
        if (buffered() > max_head_bytes) break;
        auto n = fill();
        if (!n) {
            // A reset before the first byte means the server dropped an idle keep-alive
            // connection: the request never reached a handler and may be retried.
            if (!got_any && connection_lost(n.error().sys_errno))
                n.error().code = http_errc::closed_before_response;
            return std::unexpected(std::move(n.error()));
        }
        if (*n == 0) {
            if (!got_any)
                return fail(http_errc::closed_before_response,
                            "connection closed before the response");
            return fail(http_errc::malformed, "connection closed inside the response head");
        }
        got_any = true;
    }

    if (head_end == 0 || head_end - begin_ > max_head_bytes)
        return fail(http_errc::too_large,
                    "HTTP response head exceeds " + std::to_string(max_head_bytes) + " bytes");

    resp.head.assign(buf_.data() + begin_, head_end - begin_ - 2);  // keep the final CRLF of
    begin_ = head_end;                                              // the last header line
    resp.headers.clear();
    resp.status = 0;
    resp.keep_alive = true;

    std::string_view head = resp.head;
    auto eol = head.find("\r\n");
    std::string_view status_line = head.substr(0, eol);
    head.remove_prefix(eol + 2);

    // "HTTP/1.1 202 Accepted": version, exactly three digits, then a space or the end.
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
        (status_line[7] != '0' && status_line[7] != '1') || status_line[8] != ' ' ||
        (status_line.size() > 12 && status_line[12] != ' '))
        return fail(http_errc::malformed,
                    "bad HTTP status line: '" + std::string(status_line.substr(0, 80)) + "'");
    int status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        char c = status_line[i];
        if (c < '0' || c > '9')
            return fail(http_errc::malformed,
                        "bad HTTP status code: '" + std::string(status_line.substr(0, 80)) + "'");
        status = status * 10 + (c - '0');
    }
    if (status < 100)
        return fail(http_errc::malformed, "bad HTTP status code " + std::to_string(status));
    resp.status = status;
    if (status_line[7] == '0') resp.keep_alive = false;

    while (!head.empty()) {
        eol = head.find("\r\n");
        std::string_view line = head.substr(0, eol);
        head.remove_prefix(eol + 2);
        if (line.front() == ' ' || line.front() == '\t')
            return fail(http_errc::malformed, "obsolete folded HTTP header line");
        auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return fail(http_errc::malformed,
                        "bad HTTP header line: '" + std::string(line.substr(0, 80)) + "'");
        std::string_view name = line.substr(0, colon);
        if (!std::all_of(name.begin(), name.end(), is_token_char))
            return fail(http_errc::malformed,
                        "bad HTTP header name: '" + std::string(name.substr(0, 80)) + "'");
        resp.headers.push_back({name, trim(line.substr(colon + 1))});
    }
    return {};
}

std::expected<void, http_error> response_reader::read(http_response& resp, std::string& body) {
    body.clear();
    for (;;) {
        if (auto r = read_head(resp); !r) return r;
        if (resp.status >= 200) break;
        // 1xx interim responses carry no body; the real one follows.
    }

    std::string_view connection = resp.header("Connection");
    if (iequals(connection, "close")) resp.keep_alive = false;
    if (iequals(connection, "keep-alive")) resp.keep_alive = true;

    if (resp.status == 204 || resp.status == 304) return {};

    std::string_view te = resp.header("Transfer-Encoding");
    if (!te.empty()) {
        auto last = te.rfind(',');
        std::string_view coding = trim(last == std::string_view::npos ? te : te.substr(last + 1));
        if (!iequals(coding, "chunked"))
            return fail(http_errc::malformed,
                        "unsupported Transfer-Encoding '" + std::string(te) + "'");
        return read_chunked(body);
    }

    std::string_view cl_value;
    for (const auto& h : resp.headers) {
        if (!iequals(h.name, "Content-Length")) continue;
        if (!cl_value.empty() && cl_value != h.value)
            return fail(http_errc::malformed, "conflicting Content-Length headers");
        cl_value = h.value;
    }
    if (!cl_value.empty()) {
        std::size_t n = 0;
        auto [ptr, ec] = std::from_chars(cl_value.data(), cl_value.data() + cl_value.size(), n);
        if (ec == std::errc::result_out_of_range)
            return fail(http_errc::too_large, "Content-Length too large");
        if (ec != std::errc{} || ptr != cl_value.data() + cl_value.size())
            return fail(http_errc::malformed,
                        "bad Content-Length '" + std::string(cl_value.substr(0, 40)) + "'");
        if (n > max_body_bytes)
            return fail(http_errc::too_large, "Content-Length " + std::to_string(n) + " exceeds " +
                                                  std::to_string(max_body_bytes));
        return read_exact(body, n);
    }
    resp.keep_alive = false;
    return read_to_close(body);
}

std::expected<void, http_error> response_reader::read_exact(std::string& body, std::size_t n) {
    std::size_t offset = body.size();
    // resize_and_overwrite would skip zero-filling, but g++ 12 lacks it; memset of a few MB is
    // cheap next to the socket copy.
    body.resize(offset + n);
    std::size_t got = std::min(n, buffered());
    std::memcpy(body.data() + offset, buf_.data() + begin_, got);
    begin_ += got;
    // Large bodies go straight from the socket into the destination: one copy, not two.
    while (got < n) {
        ssize_t r = ::recv(fd_, body.data() + offset + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return sys_fail(http_errc::io_error, "recv", errno);
        }
        if (r == 0)
            return fail(http_errc::malformed, "connection closed after " + std::to_string(got) +
                                                  " of " + std::to_string(n) + " body bytes");
        got += static_cast<std::size_t>(r);
    }
    return {};
}

std::expected<std::string_view, http_error> response_reader::read_line() {
    std::size_t scanned = 0;
    for (;;) {
        std::string_view avail(buf_.data() + begin_ + scanned, buffered() - scanned);
        auto pos = avail.find("\r\n");
        if (pos != std::string_view::npos) {
            std::string_view line(buf_.data() + begin_, scanned + pos);
            begin_ += scanned + pos + 2;
            return line;
        }
        scanned = buffered() >= 1 ? buffered() - 1 : 0;  // a lone '\r' may end this read
        if (buffered() > max_line_bytes)
            return fail(http_errc::too_large,
                        "HTTP chunk line exceeds " + std::to_string(max_line_bytes) + " bytes");
        auto n = fill();
        if (!n) return std::unexpected(std::move(n.error()));
        if (*n == 0) return fail(http_errc::malformed, "connection closed inside chunked body");
    }
}

std::expected<void, http_error> response_reader::read_chunked(std::string& body) {
    for (;;) {
        auto line = read_line();
        if (!line) return std::unexpected(std::move(line.error()));
        std::string_view size_text = *line;
        if (auto semi = size_text.find(';'); semi != std::string_view::npos)
            size_text = size_text.substr(0, semi);  // chunk extensions are ignored
        size_text = trim(size_text);
        std::size_t size = 0;
        auto [ptr, ec] =
            std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
        if (ec == std::errc::result_out_of_range || (ec == std::errc{} && size > max_body_bytes))
            return fail(http_errc::too_large, "chunk size too large");
        if (size_text.empty() || ec != std::errc{} || ptr != size_text.data() + size_text.size())
            return fail(http_errc::malformed,
                        "bad chunk size '" + std::string(line->substr(0, 40)) + "'");
        if (size == 0) break;
        if (body.size() + size > max_body_bytes)
            return fail(http_errc::too_large,
                        "chunked body exceeds " + std::to_string(max_body_bytes) + " bytes");
        if (auto r = read_exact(body, size); !r) return r;
        auto crlf = read_line();
        if (!crlf) return std::unexpected(std::move(crlf.error()));
        if (!crlf->empty()) return fail(http_errc::malformed, "chunk data longer than its size");
    }
    // Trailer section: header lines up to an empty line; we have no use for them.
    for (;;) {
        auto line = read_line();
        if (!line) return std::unexpected(std::move(line.error()));
        if (line->empty()) return {};
    }
}

std::expected<void, http_error> response_reader::read_to_close(std::string& body) {
    body.append(buf_.data() + begin_, buffered());
    begin_ = end_ = 0;
    for (;;) {
        if (body.size() > max_body_bytes)
            return fail(http_errc::too_large,
                        "body exceeds " + std::to_string(max_body_bytes) + " bytes");
        auto n = fill();
        if (!n) return std::unexpected(std::move(n.error()));
        if (*n == 0) return {};
        body.append(buf_.data() + begin_, buffered());
        begin_ = end_ = 0;
    }
}

// ---------------------------------------------------------------------------------------------
// endpoint

std::expected<endpoint, std::string> parse_endpoint(std::string_view host_port) {
    endpoint ep;
    ep.host_header = std::string(host_port);
    std::string_view host;
    std::string_view port_text;
    if (!host_port.empty() && host_port.front() == '[') {
        auto close = host_port.find(']');
        if (close == std::string_view::npos || close + 1 >= host_port.size() ||
            host_port[close + 1] != ':')
            return std::unexpected("expected [ipv6]:port, got '" + ep.host_header + "'");
        host = host_port.substr(1, close - 1);
        port_text = host_port.substr(close + 2);
    } else {
        auto colon = host_port.rfind(':');
        if (colon == std::string_view::npos)
            return std::unexpected("expected host:port, got '" + ep.host_header + "'");
        host = host_port.substr(0, colon);
        port_text = host_port.substr(colon + 1);
    }
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || ptr != port_text.data() + port_text.size() ||
        port == 0 || port > 65535)
        return std::unexpected("bad port in '" + ep.host_header + "'");

    std::string host_str(host == "localhost" ? std::string_view("127.0.0.1") : host);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ep.addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
    if (::inet_pton(AF_INET, host_str.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        ep.addr_len = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET6, host_str.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        ep.addr_len = sizeof(sockaddr_in6);
    } else {
        return std::unexpected("host must be a numeric address or localhost, got '" + host_str +
                               "'");
    }
    return ep;
}

// ---------------------------------------------------------------------------------------------
// http_client

http_client::http_client(endpoint ep) : ep_(std::move(ep)) {
    req_.reserve(512);
}

std::expected<void, http_error> http_client::connect() {
    fd_.reset(::socket(ep_.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd_) return sys_fail(http_errc::connect_failed, "socket", errno);
    if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&ep_.addr), ep_.addr_len) != 0) {
        int err = errno;
        fd_.reset();
        return sys_fail(http_errc::connect_failed, "connect(" + ep_.host_header + ")", err);
    }
    // Head and body go out in one sendmsg, but Nagle would still delay a second segment of a
    // large body behind the peer's delayed ACK.
    int one = 1;
    ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    reader_.attach(fd_.get());
    return {};
}

std::expected<void, http_error> http_client::send_request(std::string_view body) {
    iovec iov[3];
    int count = 0;
    iov[count++] = {req_.data(), req_.size()};
    if (!body.empty()) iov[count++] = {const_cast<char*>(body.data()), body.size()};
    if (!tail_.empty()) iov[count++] = {tail_.data(), tail_.size()};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<std::size_t>(count);
    while (msg.msg_iovlen > 0) {
        // MSG_NOSIGNAL: a peer that went away must be an error code, not a SIGPIPE death.
        ssize_t n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_fail(connection_lost(errno) ? http_errc::send_failed : http_errc::io_error,
                            "sendmsg", errno);
        }
        auto left = static_cast<std::size_t>(n);
        while (msg.msg_iovlen > 0 && left >= msg.msg_iov[0].iov_len) {
            left -= msg.msg_iov[0].iov_len;
            ++msg.msg_iov;
            --msg.msg_iovlen;
        }
        if (msg.msg_iovlen > 0) {
            msg.msg_iov[0].iov_base = static_cast<char*>(msg.msg_iov[0].iov_base) + left;
            msg.msg_iov[0].iov_len -= left;
        }
    }
    return {};
}

std::expected<void, http_error> http_client::send_parts(std::string_view a, std::string_view b,
                                                        std::string_view c) {
    iovec iov[3];
    int count = 0;
    for (std::string_view part : {a, b, c})
        if (!part.empty()) iov[count++] = {const_cast<char*>(part.data()), part.size()};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<std::size_t>(count);
    while (msg.msg_iovlen > 0) {
        ssize_t n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_fail(connection_lost(errno) ? http_errc::send_failed : http_errc::io_error,
                            "sendmsg", errno);
        }
        auto left = static_cast<std::size_t>(n);
        while (msg.msg_iovlen > 0 && left >= msg.msg_iov[0].iov_len) {
            left -= msg.msg_iov[0].iov_len;
            ++msg.msg_iov;
            --msg.msg_iovlen;
        }
        if (msg.msg_iovlen > 0) {
            msg.msg_iov[0].iov_base = static_cast<char*>(msg.msg_iov[0].iov_base) + left;
            msg.msg_iov[0].iov_len -= left;
        }
    }
    return {};
}

std::expected<void, http_error> http_client::begin_chunked(std::string_view method,
                                                           std::string_view path,
                                                           std::span<const http_header> headers) {
    if (pending_) {
        fd_.reset();
        pending_ = false;
    }
    tail_.clear();
    if (!fd_) {
        if (auto r = connect(); !r) return r;
    }
    req_.clear();
    req_ += method;
    req_ += ' ';
    req_ += path;
    req_ += " HTTP/1.1\r\nHost: ";
    req_ += ep_.host_header;
    req_ += "\r\n";
    for (const auto& h : headers) {
        req_ += h.name;
        req_ += ": ";
        req_ += h.value;
        req_ += "\r\n";
    }
    req_ += "Transfer-Encoding: chunked\r\n\r\n";
    auto r = send_parts(req_);
    if (!r) fd_.reset();
    return r;
}

std::expected<void, http_error> http_client::send_chunk(std::string_view data) {
    if (data.empty()) return {};  // an empty chunk would end the body
    if (!fd_) return std::unexpected(http_error{http_errc::send_failed, "connection closed"});
    char size[24];
    int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return send_parts(std::string_view(size, static_cast<std::size_t>(n)), data, "\r\n");
}

bool http_client::answered_early() const {
    if (!fd_) return false;
    pollfd p{fd_.get(), POLLIN, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

std::expected<void, http_error> http_client::end_chunked(std::span<const http_header> trailers,
                                                         http_response& resp,
                                                         std::string& resp_body) {
    if (!fd_) return std::unexpected(http_error{http_errc::send_failed, "connection closed"});
    req_.assign("0\r\n");
    for (const auto& h : trailers) {
        req_ += h.name;
        req_ += ": ";
        req_ += h.value;
        req_ += "\r\n";
    }
    req_ += "\r\n";
    auto sent = send_parts(req_);
    // A server that refused the body early has answered already: its answer wins.
    auto got = reader_.read(resp, resp_body);
    if (!got) {
        fd_.reset();
        if (!sent) return sent;
        return got;
    }
    if (!resp.keep_alive || !sent) fd_.reset();
    return {};
}

std::expected<void, http_error> http_client::attempt(std::string_view body, http_response& resp,
                                                     std::string& resp_body) {
    pending_ = false;
    if (!fd_) {
        if (auto r = connect(); !r) return r;
    }
    auto sent = send_request(body);
    // Even when the send failed, the server may have answered before closing (e.g. 413 for an
    // oversized body): prefer its answer over our error.
    auto got = reader_.read(resp, resp_body);
    if (!got) {
        fd_.reset();
        if (!sent) return sent;
        return got;
    }
    if (!resp.keep_alive) {
        fd_.reset();  // a pipelined request on this connection is lost with it
        return {};
    }
    pending_ = sent.has_value() && !tail_.empty();
    return {};
}

void http_client::build_head(std::string& out, std::string_view method, std::string_view path,
                             std::span<const http_header> headers, std::string_view body) {
    out.clear();
    out += method;
    out += ' ';
    out += path;
    out += " HTTP/1.1\r\nHost: ";
    out += ep_.host_header;
    out += "\r\n";
    for (const auto& h : headers) {
        out += h.name;
        out += ": ";
        out += h.value;
        out += "\r\n";
    }
    if (method != "GET") {
        char digits[24];
        auto [end, ec] = std::to_chars(digits, digits + sizeof digits, body.size());
        out += "Content-Length: ";
        out.append(digits, end);
        out += "\r\n";
    }
    out += "\r\n";
}

std::expected<void, http_error> http_client::request(std::string_view method, std::string_view path,
                                                     std::span<const http_header> headers,
                                                     std::string_view body, http_response& resp,
                                                     std::string& resp_body,
                                                     std::string_view then_get) {
    if (pending_) {
        // A pipelined GET is parked on this connection (the server may hold it until the next
        // event): this request needs a connection of its own.
        fd_.reset();
        pending_ = false;
    }
    build_head(req_, method, path, headers, body);
    tail_.clear();
    if (!then_get.empty()) build_head(tail_, "GET", then_get, {}, {});

    static constexpr long backoff_ms[] = {10, 20, 40, 80, 160};
    for (std::size_t tries = 0;; ++tries) {
        auto r = attempt(body, resp, resp_body);
        if (r || !r.error().transient() || tries == std::size(backoff_ms)) {
            if (!r && r.error().transient())
                r.error().message += " (after " + std::to_string(tries + 1) + " attempts)";
            return r;
        }
        sleep_ms(backoff_ms[tries]);
    }
}

std::expected<void, http_error> http_client::read_pending(std::string_view path,
                                                          http_response& resp,
                                                          std::string& resp_body) {
    pending_ = false;
    auto got = reader_.read(resp, resp_body);
    if (!got) {
        fd_.reset();
        // Closed before answering the pipelined GET (an idle timeout, a server that does not
        // pipeline): nothing was lost, ask again the ordinary way.
        if (got.error().transient()) return request("GET", path, {}, {}, resp, resp_body);
        return got;
    }
    if (!resp.keep_alive) fd_.reset();
    return {};
}

}  // namespace lambench::runtime::detail
