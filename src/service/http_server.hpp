// Asynchronous HTTP/1.1 server on Boost.Beast: keep-alive, no thread per connection, and
// deferred answers (a handler may keep the responder and answer later — /next blocks until an
// invocation arrives, Invoke waits for the function). Used by the Lambda API and by every
// sandbox's Runtime API listener.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <string>

#include "errors.hpp"

namespace lambench::service::http {

namespace bhttp = boost::beast::http;
using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<bhttp::string_body>;

// How api_error becomes a body: the Lambda REST API ({"Type":"User","message":...}) or the
// Runtime API ({"errorMessage":...,"errorType":...}).
enum class error_style { lambda_api, runtime_api };

response make_error_response(const api_error& e, error_style style, unsigned version,
                             bool keep_alive);

class session;

// The answer channel of one request. Copyable; answering twice is ignored.
class responder {
  public:
    explicit responder(std::shared_ptr<session> s) : s_(std::move(s)) {}
    void send(response&& res) const;
    void fail(const api_error& e) const;  // the one error formatting path, for deferred errors
    bool connected() const;

  private:
    std::shared_ptr<session> s_;
};

using handler = std::function<void(request&& req, const responder& reply)>;

struct server_options {
    error_style style = error_style::lambda_api;
    std::uint64_t body_limit = 8 * 1024 * 1024;  // larger bodies get 413 and the connection closes
    // Decides, once per accepted connection, whether its peer may talk to this server. A refused
    // connection has each request answered 403 (forbidden_message) and is then closed.
    std::function<bool(const boost::asio::ip::tcp::socket&)> admit;
    std::string forbidden_message = "forbidden";
};

class server {
  public:
    // Binds (port 0 allowed) and starts accepting. Throws std::system_error on bind failure.
    server(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& ep, handler h,
           server_options opts);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    unsigned short port() const;
    boost::asio::ip::address address() const;  // the address bound
    // Stops accepting and closes every open connection (parked requests get no answer).
    void close();

    struct state;

  private:
    std::shared_ptr<state> st_;
};

}  // namespace lambench::service::http
