#include "runtime_api_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace lambench::runtime::testing {
namespace {

[[noreturn]] void throw_errno(const char* call) {
    throw std::system_error(errno, std::generic_category(), call);
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

long long now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Reads one request (head + Content-Length body). False on EOF/error/garbage, and when the
// body is over `reject_over` (non-zero): then only the head was read.
bool read_request(int fd, std::string& buf, recorded_request& req, std::size_t reject_over,
                  bool& rejected) {
    rejected = false;
    std::size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
        char tmp[65536];
        ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buf.append(tmp, static_cast<std::size_t>(n));
    }
    std::string head = buf.substr(0, head_end + 2);
    buf.erase(0, head_end + 4);
    auto eol = head.find("\r\n");
    std::string line = head.substr(0, eol);
    auto sp1 = line.find(' ');
    auto sp2 = line.find(' ', sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
    req.method = line.substr(0, sp1);
    req.path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::size_t pos = eol + 2;
    while (pos < head.size()) {
        auto e = head.find("\r\n", pos);
        std::string h = head.substr(pos, e - pos);
        pos = e + 2;
        auto colon = h.find(':');
        if (colon == std::string::npos) return false;
        std::string value = h.substr(colon + 1);
        value.erase(0, value.find_first_not_of(' '));
        req.headers[lower(h.substr(0, colon))] = value;
    }
    std::size_t length = 0;
    if (auto cl = req.headers.find("content-length"); cl != req.headers.end())
        length = std::stoull(cl->second);
    if (reject_over != 0 && length > reject_over) {
        rejected = true;
        return false;
    }
    while (buf.size() < length) {
        std::string tmp(std::max<std::size_t>(65536, length - buf.size()), '\0');
        ssize_t n = ::recv(fd, tmp.data(), tmp.size(), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buf.append(tmp.data(), static_cast<std::size_t>(n));
    }
    req.body = buf.substr(0, length);
    buf.erase(0, length);
    return true;
}

}  // namespace

runtime_api_server::runtime_api_server(server_options opts) : opts_(opts) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw_errno("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;  // the kernel picks a free port
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw_errno("bind");
    if (::listen(listen_fd_, 64) != 0) throw_errno("listen");
    socklen_t len = sizeof addr;
    if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        throw_errno("getsockname");
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

runtime_api_server::~runtime_api_server() {
    go_away();
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mu_);
        threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
}

std::string runtime_api_server::address() const {
    return "127.0.0.1:" + std::to_string(port_);
}

void runtime_api_server::push(event ev) {
    std::lock_guard lock(mu_);
    ++pushed_;
    ev.headers.try_emplace("Lambda-Runtime-Aws-Request-Id", "req-" + std::to_string(pushed_));
    events_.push_back(std::move(ev));
    cv_.notify_all();
}

void runtime_api_server::go_away() {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    // shutdown() wakes the threads blocked in accept()/recv(); they close their own fds.
    ::shutdown(listen_fd_, SHUT_RDWR);
    for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
    cv_.notify_all();
}

std::vector<recorded_request> runtime_api_server::posts() const {
    std::lock_guard lock(mu_);
    return posts_;
}

std::size_t runtime_api_server::next_requests() const {
    std::lock_guard lock(mu_);
    return next_requests_;
}

bool runtime_api_server::wait_for_posts(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return posts_.size() >= n; });
}

void runtime_api_server::accept_loop() {
    for (;;) {
        int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        std::lock_guard lock(mu_);
        if (fd < 0 || stopping_) {
            if (fd >= 0) ::close(fd);
            if (fd < 0 && errno == EINTR && !stopping_) continue;
            break;
        }
        // The event goes out as two writes (head, payload): without NODELAY the second waits
        // for the client's delayed ACK, 40 ms per invocation.
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_fds_.push_back(fd);
        threads_.emplace_back([this, fd] { serve(fd); });
    }
    ::close(listen_fd_);
}

void runtime_api_server::serve(int fd) {
    std::string buf;
    for (;;) {
        recorded_request req;
        bool rejected = false;
        if (!read_request(fd, buf, req, opts_.reject_early_over, rejected)) {
            if (rejected) {
                const std::string body =
                    R"({"errorMessage":"Request body too large","errorType":"RequestEntityTooLarge"})";
                write_all(fd,
                          "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
                          "Connection: close\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
                req.answered = 413;
                std::lock_guard lock(mu_);
                posts_.push_back(std::move(req));
                cv_.notify_all();
            }
            break;
        }
        if (req.method == "GET" && req.path == "/2018-06-01/runtime/invocation/next") {
            if (!answer_next(fd)) break;
        } else {
            handle_post(fd, std::move(req));
            if (opts_.drop_after_post) break;
        }
        if (opts_.close_after_response) break;
        std::lock_guard lock(mu_);
        if (stopping_) break;
    }
    std::lock_guard lock(mu_);
    conn_fds_.erase(std::remove(conn_fds_.begin(), conn_fds_.end(), fd), conn_fds_.end());
    ::close(fd);
}

bool runtime_api_server::answer_next(int fd) {
    event ev;
    {
        std::unique_lock lock(mu_);
        ++next_requests_;
        cv_.notify_all();
        if (events_.empty() && opts_.go_away_when_drained) {
            lock.unlock();
            go_away();
            return false;
        }
        cv_.wait(lock, [&] { return stopping_ || !events_.empty(); });
        if (events_.empty()) return false;
        ev = std::move(events_.front());
        events_.pop_front();
    }
    std::map<std::string, std::string> headers = {
        {"Content-Type", "application/json"},
        {"Lambda-Runtime-Deadline-Ms", std::to_string(now_ms() + 30000)},
        {"Lambda-Runtime-Invoked-Function-Arn",
         "arn:aws:lambda:us-east-1:000000000000:function:test"},
        {"Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0"},
    };
    for (auto& [k, v] : ev.headers) headers[k] = v;
    std::string head = "HTTP/1.1 200 OK\r\n";
    for (auto& [k, v] : headers) head += k + ": " + v + "\r\n";
    if (opts_.close_after_response) head += "Connection: close\r\n";
    if (!opts_.chunked_next) {
        head += "Content-Length: " + std::to_string(ev.payload.size()) + "\r\n\r\n";
        return write_all(fd, head) && write_all(fd, ev.payload);
    }
    head += "Transfer-Encoding: chunked\r\n\r\n";
    if (!write_all(fd, head)) return false;
    // Uneven chunk sizes, one with an extension, so chunk boundaries fall anywhere.
    std::size_t pos = 0;
    std::size_t size = 1;
    while (pos < ev.payload.size()) {
        std::size_t n = std::min(size, ev.payload.size() - pos);
        char hex[32];
        std::snprintf(hex, sizeof hex, "%zx%s\r\n", n, size == 1 ? ";ext=1" : "");
        if (!write_all(fd, hex) || !write_all(fd, std::string_view(ev.payload).substr(pos, n)) ||
            !write_all(fd, "\r\n"))
            return false;
        pos += n;
        size = size * 7 + 3;
    }
    return write_all(fd, "0\r\nX-Trailer: yes\r\n\r\n");
}

void runtime_api_server::handle_post(int fd, recorded_request req) {
    int status = 202;
    std::string body = R"({"status":"OK"})";
    const bool is_response =
        req.path.starts_with("/2018-06-01/runtime/invocation/") && req.path.ends_with("/response");
    const bool is_error =
        req.path.ends_with("/error") && req.path.starts_with("/2018-06-01/runtime/");
    if (req.method != "POST" || (!is_response && !is_error)) {
        status = 404;
        body = R"({"errorMessage":"not found","errorType":"NotFound"})";
    } else if (is_response && req.body.size() > opts_.max_response_bytes) {
        status = 413;
        body = R"({"errorMessage":"payload too large","errorType":"RequestEntityTooLarge"})";
    }
    std::string head =
        "HTTP/1.1 " + std::to_string(status) + (status == 202 ? " Accepted" : " Error") +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n" + (opts_.close_after_response ? "Connection: close\r\n" : "") + "\r\n";
    req.answered = status;
    // Answer first, then record: a test that waits for this POST and then tears the server
    // down must not cut the runtime off before it got its 202.
    write_all(fd, head + body);
    std::lock_guard lock(mu_);
    posts_.push_back(std::move(req));
    cv_.notify_all();
}

}  // namespace lambench::runtime::testing
