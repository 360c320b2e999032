// Asynchronous HTTP/1.1 server on Boost.Beast: keep-alive, no thread per connection, and
// deferred answers (a handler may keep the responder and answer later — /next blocks until an
// invocation arrives, Invoke waits for the function). Used by the Lambda API and by every
// sandbox's Runtime API listener. Connections are bounded: read and idle timeouts, a cap on open
// connections, and a back-off when accept runs out of file descriptors (server_options).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

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

    // An answer written while it is produced (Transfer-Encoding: chunked; an HTTP/1.0 client gets
    // the bytes as they come and the connection closes at the end): the header, then each piece
    // in order, then the end. Pieces are queued while a write is under way. Ignored once the
    // request is answered or the connection has gone.
    void start_stream(response&& header) const;
    void stream(std::string bytes) const;
    void end_stream() const;

  private:
    std::shared_ptr<session> s_;
};

using handler = std::function<void(request&& req, const responder& reply)>;

// Takes a request body as it arrives instead of buffering it (a runtime's streamed response).
class body_sink {
  public:
    virtual ~body_sink() = default;
    // The next bytes of a chunked body; `chunk_end` when they complete a chunk of the sender's.
    // Throwing api_error refuses the rest: that error is the answer and the connection closes.
    virtual void data(std::string_view bytes, bool chunk_end) = 0;
    // Asked before each further read: how long to hold off (a bandwidth cap); zero reads on.
    virtual std::chrono::steady_clock::duration delay() { return {}; }
    // The connection ended before the body did.
    virtual void aborted() {}
};

struct server_options {
    using duration = std::chrono::milliseconds;  // every timeout: 0 = no limit

    error_style style = error_style::lambda_api;
    std::uint64_t body_limit = 8 * 1024 * 1024;  // larger bodies get 413 and the connection closes
    // Decides, once per accepted connection, whether its peer may talk to this server. A refused
    // connection has each request answered 403 (forbidden_message) and is then closed.
    std::function<bool(const boost::asio::ip::tcp::socket&)> admit;
    std::string forbidden_message = "forbidden";
    // Looks at each request's header before its body is read (only when a body follows) and may
    // refuse it by throwing api_error: the answer goes out at once, the body is not read and the
    // connection closes. (Authentication refuses strangers before they upload 80 MB.) The whole
    // request still goes to the handler when this passes.
    std::function<void(const request& header_only)> screen;
    std::string name = "HTTP listener";  // names this server in its log lines
    // Looks at each chunked request's header (after screen) and may claim its body by returning a
    // sink, or refuse the request by throwing api_error. A claimed body goes to the sink as it
    // arrives — not to the request, not under body_limit or the body timeouts (the sink sets its
    // own limits) — and the handler then gets the request with an empty body and the trailer
    // fields among its fields. The read buffer (header, chunk lines, trailers) stays bounded.
    std::function<std::shared_ptr<body_sink>(const request& header_only)> stream;

    // Timeouts apply only while a request is being read and while a keep-alive connection waits
    // for its next request, never while a request waits for its answer (a parked /next, an Invoke
    // running for up to 900 s). A request not read in time is answered 408 when any of it had
    // arrived (else the connection just closes), and the connection closes.
    // The header: within header_timeout of its first byte (of the accept, for a connection's
    // first request).
    duration header_timeout{std::chrono::seconds(20)};
    // The body: within body_timeout after the header, plus one second for every body_min_rate
    // bytes received (a minimum average rate; 0 = the whole body within body_timeout).
    duration body_timeout{std::chrono::seconds(20)};
    std::uint64_t body_min_rate = 64 * 1024;
    // A keep-alive connection with no request under way is closed after this, without an answer.
    duration idle_timeout{std::chrono::seconds(120)};
    // A client that does not take a response within this is disconnected.
    duration write_timeout{std::chrono::seconds(60)};
    // A connection refused by admit gets this long for its request (whatever header_timeout is).
    duration refused_timeout{std::chrono::seconds(10)};
    // Open connections served at once (0 = no cap). A connection beyond it is answered 503 at
    // once and closed; the existing ones are not disturbed. Connections refused by admit are
    // counted apart, under the same cap, and beyond it are closed without an answer.
    std::size_t max_connections = 1024;
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
    // Shutdown, first step: stops accepting and closes the connections waiting for a request; a
    // connection whose request is being answered closes after its answer.
    void drain();
    std::size_t answering() const;  // connections with a request being answered or written

    struct state;

  private:
    std::shared_ptr<state> st_;
};

}  // namespace lambench::service::http
