// A tiny HTTP/1.1 server on 127.0.0.1:<ephemeral> for the client tests: it records every request
// (and on which connection it came) and answers from a handler. Keep-alive and Content-Length
// only — exactly what libcurl sends to Lambda. It plays the AWS cloud, the one thing we mock.
// Each connection is served on its own thread (several clients, one kept-alive connection
// each, as the deploy path has); the handler is still called for one request at a time.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "posix/unique_fd.hpp"

namespace lambench::aws::test {

using posix::unique_fd;

[[noreturn]] inline void throw_errno(const char* call) {
    throw std::runtime_error(std::string(call) + ": " + std::strerror(errno));
}

struct http_request {
    std::string method, target, path, query, body;
    std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
    int connection = 0;                                        // 1 = first accepted connection
    std::string header(std::string_view lname) const {
        for (const auto& [n, v] : headers) {
            std::string l(n);
            for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (l == lname) return v;
        }
        return {};
    }
};

struct http_response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

class http_test_server {
  public:
    using handler = std::function<http_response(const http_request&)>;

    explicit http_test_server(handler h) : handler_(std::move(h)) {
        listen_ = unique_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (listen_.get() < 0) throw_errno("socket");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        if (::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw_errno("bind");
        if (::listen(listen_.get(), 16) != 0) throw_errno("listen");
        socklen_t len = sizeof addr;
        if (::getsockname(listen_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
            throw_errno("getsockname");
        port_ = ntohs(addr.sin_port);
        stop_ = unique_fd(::eventfd(0, EFD_CLOEXEC));
        if (stop_.get() < 0) throw_errno("eventfd");
        thread_ = std::thread([this] { run(); });
    }
    ~http_test_server() {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(stop_.get(), &one, sizeof one);
        thread_.join();
        for (auto& t : connection_threads_) t.join();
    }
    http_test_server(const http_test_server&) = delete;
    http_test_server& operator=(const http_test_server&) = delete;

    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::uint16_t port() const { return port_; }
    std::vector<http_request> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    int connections() const {
        std::lock_guard lock(mutex_);
        return connections_;
    }

  private:
    // Waits until fd is readable; false when asked to stop.
    bool wait_readable(int fd) const {
        pollfd fds[2] = {{fd, POLLIN, 0}, {stop_.get(), POLLIN, 0}};
        for (;;) {
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR) continue;
                throw_errno("poll");
            }
            return (fds[1].revents & POLLIN) == 0;
        }
    }

    void run() {
        try {
            while (wait_readable(listen_.get())) {
                unique_fd conn(::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
                if (conn.get() < 0) throw_errno("accept4");
                int id = 0;
                {
                    std::lock_guard lock(mutex_);
                    id = ++connections_;
                }
                connection_threads_.emplace_back([this, fd = std::move(conn), id] {
                    try {
                        serve(fd.get(), id);
                    } catch (const std::exception& e) {
                        std::fprintf(stderr, "http_test_server: %s\n", e.what());
                    }
                });
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "http_test_server: %s\n", e.what());
        }
    }

    void serve(int fd, int id) {
        std::string buf;
        for (;;) {
            auto head_end = buf.find("\r\n\r\n");
            while (head_end == std::string::npos) {
                if (!read_more(fd, buf)) return;
                head_end = buf.find("\r\n\r\n");
            }
            http_request req;
            req.connection = id;
            std::size_t content_length = 0;
            {
                const std::string head = buf.substr(0, head_end);
                std::size_t pos = head.find("\r\n");
                const std::string line = head.substr(0, pos);
                const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
                req.method = line.substr(0, sp1);
                req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
                const auto q = req.target.find('?');
                req.path = req.target.substr(0, q);
                if (q != std::string::npos) req.query = req.target.substr(q + 1);
                while (pos != std::string::npos && pos < head.size()) {
                    const auto next = head.find("\r\n", pos + 2);
                    const std::string h = head.substr(
                        pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
                    pos = next;
                    const auto colon = h.find(':');
                    if (colon == std::string::npos) continue;
                    std::string value = h.substr(colon + 1);
                    value.erase(0, value.find_first_not_of(' '));
                    req.headers.emplace_back(h.substr(0, colon), value);
                }
                if (auto cl = req.header("content-length"); !cl.empty())
                    content_length = std::stoul(cl);
            }
            buf.erase(0, head_end + 4);
            while (buf.size() < content_length)
                if (!read_more(fd, buf)) return;
            req.body = buf.substr(0, content_length);
            buf.erase(0, content_length);

            http_response resp;
            {
                std::lock_guard serial(handler_mutex_);
                resp = handler_(req);
            }
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(req);
            }
            std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " X\r\n";
            for (const auto& [n, v] : resp.headers) out += n + ": " + v + "\r\n";
            if (resp.status != 204)
                out += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n";
            out += "\r\n";
            if (resp.status != 204) out += resp.body;
            for (std::size_t off = 0; off < out.size();) {
                const ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
                if (n < 0) {
                    if (errno == EINTR) continue;
                    return;
                }
                off += static_cast<std::size_t>(n);
            }
        }
    }

    bool read_more(int fd, std::string& buf) {
        if (!wait_readable(fd)) return false;
        char chunk[65536];
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buf.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    handler handler_;
    unique_fd listen_, stop_;
    std::uint16_t port_ = 0;
    mutable std::mutex mutex_;
    std::mutex handler_mutex_;
    std::vector<http_request> requests_;
    int connections_ = 0;
    std::vector<std::thread> connection_threads_;  // joined after thread_ (the acceptor)
    std::thread thread_;
};

}  // namespace lambench::aws::test
