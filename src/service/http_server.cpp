#include "http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <cstdio>
#include <list>
#include <nlohmann/json.hpp>

#include "json_text.hpp"
#include "util.hpp"

namespace lambench::service::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

struct server::state : std::enable_shared_from_this<server::state> {
    state(asio::io_context& io, handler h, server_options o)
        : acceptor(io), on_request(std::move(h)), opts(o) {}
    tcp::acceptor acceptor;
    handler on_request;
    server_options opts;
    std::list<std::weak_ptr<session>> sessions;
    unsigned short port = 0;
    asio::ip::address address;
    bool closed = false;
    void accept();
};

class session : public std::enable_shared_from_this<session> {
  public:
    session(tcp::socket sock, std::shared_ptr<server::state> st)
        : stream_(std::move(sock)), st_(std::move(st)) {}

    void start(std::list<std::weak_ptr<session>>::iterator self_pos, bool refused) {
        self_pos_ = self_pos;
        refused_ = refused;
        read();
    }

    void read() {
        parser_.emplace();
        parser_->body_limit(st_->opts.body_limit);
        parser_->header_limit(64 * 1024);
        pending_ = false;
        bhttp::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == bhttp::error::body_limit) {
            api_error e(413,
                        st_->opts.style == error_style::runtime_api ? "RequestEntityTooLarge"
                                                                    : "RequestTooLargeException",
                        "Request body too large");
            auto res = make_error_response(e, st_->opts.style, 11, false);
            pending_ = true;
            write(std::move(res));
            return;
        }
        if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
            ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message) {
            // Malformed HTTP gets a 400 naming the fault, then the connection closes.
            pending_ = true;
            write(make_error_response(api_error(400,
                                                st_->opts.style == error_style::runtime_api
                                                    ? "InvalidRequest"
                                                    : "InvalidRequestContentException",
                                                "malformed HTTP request: " + ec.message()),
                                      st_->opts.style, 11, false));
            return;
        }
        if (ec) return finish();
        if (refused_) {
            pending_ = true;
            write(make_error_response(
                api_error(403, "AccessDeniedException", st_->opts.forbidden_message),
                st_->opts.style, parser_->get().version(), false));
            return;
        }
        request req = parser_->release();
        pending_ = true;
        answered_ = false;
        keep_alive_ = req.keep_alive();
        version_ = req.version();
        responder reply(shared_from_this());
        try {
            st_->on_request(std::move(req), reply);
        } catch (const api_error& e) {
            answer_error(e);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "lambench serve: request failed: %s\n", e.what());
            answer_error(api_error(500, internal_error_code(), e.what()));
        } catch (...) {
            std::fprintf(stderr, "lambench serve: request failed: unknown exception\n");
            answer_error(api_error(500, internal_error_code(), "internal error"));
        }
    }

    // The edge: no exception from a request ends the process. If even the error answer cannot
    // be built, the client gets a fixed 500 and the connection closes.
    void answer_error(const api_error& e) noexcept {
        try {
            fail(e);
            return;
        } catch (const std::exception& x) {
            std::fprintf(stderr, "lambench serve: error response failed: %s\n", x.what());
        } catch (...) {
        }
        try {
            if (!pending_ || answered_ || !stream_.socket().is_open()) return;
            answered_ = true;
            response res{bhttp::status::internal_server_error, version_};
            res.set(bhttp::field::content_type, "application/json");
            res.body() = R"({"message":"internal error"})";
            res.keep_alive(false);
            res.prepare_payload();
            write(std::move(res));
        } catch (...) {
            finish();
        }
    }

    const char* internal_error_code() const {
        return st_->opts.style == error_style::runtime_api ? "InternalServerError"
                                                           : "ServiceException";
    }

    void send(response&& res) {
        if (!pending_ || answered_ || !stream_.socket().is_open()) return;
        answered_ = true;
        res.version(version_);
        res.keep_alive(keep_alive_);
        res.prepare_payload();
        write(std::move(res));
    }

    void fail(const api_error& e) {
        if (!pending_ || answered_) return;
        send(make_error_response(e, st_->opts.style, version_, keep_alive_));
    }

    void write(response&& res) {
        auto sp = std::make_shared<response>(std::move(res));
        bhttp::async_write(stream_, *sp,
                           [self = shared_from_this(), sp](beast::error_code ec, std::size_t) {
                               if (ec || sp->need_eof()) return self->finish();
                               self->read();
                           });
    }

    bool connected() const { return stream_.socket().is_open(); }

    void finish() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
        if (!removed_) {
            removed_ = true;
            st_->sessions.erase(self_pos_);
        }
    }

    void close() { finish(); }

  private:
    beast::tcp_stream stream_;
    std::shared_ptr<server::state> st_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::list<std::weak_ptr<session>>::iterator self_pos_;
    bool pending_ = false, answered_ = false, keep_alive_ = true, removed_ = false,
         refused_ = false;
    unsigned version_ = 11;
};

void server::state::accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket sock) {
        if (self->closed) return;
        if (!ec) {
            beast::error_code ignored;
            sock.set_option(tcp::no_delay(true), ignored);  // small request/response: no Nagle
            bool refused = false;
            if (self->opts.admit) {
                try {
                    refused = !self->opts.admit(sock);
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "lambench serve: peer check failed: %s\n", e.what());
                    refused = true;
                }
            }
            auto s = std::make_shared<session>(std::move(sock), self);
            self->sessions.push_front(s);
            s->start(self->sessions.begin(), refused);
        }
        self->accept();
    });
}

void responder::send(response&& res) const {
    s_->send(std::move(res));
}
void responder::fail(const api_error& e) const {
    s_->fail(e);
}
bool responder::connected() const {
    return s_->connected();
}

response make_error_response(const api_error& e, error_style style, unsigned version,
                             bool keep_alive) {
    response res{static_cast<bhttp::status>(e.status), version};
    nlohmann::json body;
    if (style == error_style::lambda_api) {
        body["Type"] = e.status >= 500 ? "Service" : "User";
        body["message"] = e.what();
        if (!e.reason.empty()) body["Reason"] = e.reason;
        res.set("X-Amzn-ErrorType", e.code);
        res.set("x-amzn-RequestId", new_request_id());
        if (e.retry_after_s > 0)
            res.set(bhttp::field::retry_after, std::to_string(e.retry_after_s));
    } else {
        body["errorMessage"] = e.what();
        body["errorType"] = e.code;
    }
    res.set(bhttp::field::content_type, "application/json");
    res.keep_alive(keep_alive);
    res.body() = json_text(body);
    res.prepare_payload();
    return res;
}

server::server(asio::io_context& io, const tcp::endpoint& ep, handler h, server_options opts)
    : st_(std::make_shared<state>(io, std::move(h), opts)) {
    st_->acceptor.open(ep.protocol());
    st_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    st_->acceptor.bind(ep);
    st_->acceptor.listen(asio::socket_base::max_listen_connections);
    st_->port = st_->acceptor.local_endpoint().port();
    st_->address = st_->acceptor.local_endpoint().address();
    st_->accept();
}

server::~server() {
    close();
}

unsigned short server::port() const {
    return st_->port;
}

asio::ip::address server::address() const { return st_->address; }

void server::close() {
    if (st_->closed) return;
    st_->closed = true;
    beast::error_code ignored;
    st_->acceptor.close(ignored);
    auto sessions = st_->sessions;  // finish() erases from the list
    for (auto& w : sessions)
        if (auto s = w.lock()) s->close();
}

}  // namespace lambench::service::http
