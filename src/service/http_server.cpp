#include "http_server.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <cerrno>
#include <cstdio>
#include <deque>
#include <list>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "json_text.hpp"
#include "util.hpp"

namespace lambench::service::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

using clock = std::chrono::steady_clock;

std::string seconds_text(std::chrono::milliseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(d.count()) / 1000.0);
    return buf;
}

// Accept errors that mean "out of descriptors or kernel memory": retrying at once would spin.
bool resource_exhausted(const beast::error_code& ec) {
    if (ec.category() != boost::system::system_category() &&
        ec.category() != boost::system::generic_category())
        return false;
    int v = ec.value();
    return v == EMFILE || v == ENFILE || v == ENOBUFS || v == ENOMEM;
}

constexpr auto backoff_first = std::chrono::milliseconds(50);
constexpr auto backoff_max = std::chrono::milliseconds(1000);
constexpr auto linger_time = std::chrono::milliseconds(1000);
constexpr std::size_t max_overload_answers = 256;  // 503s being delivered at once
// The read buffer holds a request's header (64 KiB at most), chunk-size lines and trailers; the
// body itself goes straight into the request or a sink. A peer that sends an endless chunk
// extension or trailer section runs into this bound (400) instead of growing the buffer.
constexpr std::size_t max_read_buffer = std::size_t{1024} * 1024;

}  // namespace

struct server::state : std::enable_shared_from_this<server::state> {
    state(asio::io_context& io, handler h, server_options o)
        : acceptor(io), backoff_timer(io), on_request(std::move(h)), opts(std::move(o)) {}
    tcp::acceptor acceptor;
    asio::steady_timer backoff_timer;
    handler on_request;
    server_options opts;
    std::list<std::weak_ptr<session>> sessions;
    unsigned short port = 0;
    asio::ip::address address;
    bool closed = false;
    // Connections counted against max_connections: admitted ones, refused (403) ones, and 503s
    // being delivered.
    std::size_t open = 0, refused_open = 0, overload_open = 0;
    bool at_cap = false;                   // an episode of refusals is under way
    std::uint64_t refused_at_cap = 0;      // connections turned away in this episode
    std::chrono::milliseconds backoff{0};  // > 0 while accepting is paused (descriptors ran out)
    clock::time_point paused_since;

    void accept();
    void on_accept(beast::error_code ec, tcp::socket sock);
    void pause_accepting(const beast::error_code& ec);
    void connection_closed();
    std::string where() const {
        return opts.name + " " + address.to_string() + ":" + std::to_string(port);
    }
};

class session : public std::enable_shared_from_this<session> {
  public:
    // What a connection is: served, refused by admit (403 to each request), or beyond the cap
    // (503 at once).
    enum class kind { served, refused, overload };

    session(tcp::socket sock, std::shared_ptr<server::state> st)
        : stream_(std::move(sock)),
          st_(std::move(st)),
          timer_(st_->acceptor.get_executor()),
          pause_timer_(st_->acceptor.get_executor()) {}

    // A connection can also end by being dropped: a parked request whose responder was let go
    // unanswered. Its slot must not stay taken.
    ~session() {
        uncount();
        if (!removed_) st_->sessions.erase(self_pos_);
    }

    void start(std::list<std::weak_ptr<session>>::iterator self_pos, kind k) {
        self_pos_ = self_pos;
        kind_ = k;
        counted_ = true;
        if (k == kind::overload) return refuse_over_cap();
        first_ = true;
        read();
    }

    void read() {
        parser_.emplace();
        parser_->body_limit(st_->opts.body_limit);
        sink_.reset();
        refused_.reset();
        parser_->header_limit(64 * 1024);
        pending_ = false;
        timed_out_ = false;
        if (first_ || buffer_.size() > 0) {
            // A connection's first request, or bytes of the next one already here (pipelining):
            // the header clock runs from now.
            first_ = false;
            return read_header();
        }
        // Keep-alive: wait for the next request's first byte under the idle timeout.
        phase_ = phase::idle;
        arm(st_->opts.idle_timeout);
        stream_.socket().async_wait(tcp::socket::wait_read,
                                    [self = shared_from_this()](beast::error_code ec) {
                                        if (ec || self->phase_ != phase::idle) return;
                                        self->read_header();
                                    });
    }

    void read_header() {
        phase_ = phase::header;
        arm(header_timeout());
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                     self->on_header(ec);
                                 });
    }

    void on_header(beast::error_code ec) {
        if (ec || parser_->is_done()) return on_read(ec);
        if (st_->opts.screen && kind_ == kind::served) {
            std::optional<api_error> refused;
            try {
                st_->opts.screen(parser_->get());
            } catch (const api_error& e) {
                refused = e;
            } catch (const std::exception& e) {
                std::fprintf(stderr, "lambench serve: request screening failed: %s\n", e.what());
                refused = api_error(500, internal_error_code(), "internal error");
            }
            if (refused) return refuse_before_body(*refused);
        }
        if (st_->opts.stream && kind_ == kind::served && parser_->get().chunked()) {
            try {
                sink_ = st_->opts.stream(parser_->get());
            } catch (const api_error& e) {
                return refuse_before_body(e);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "lambench serve: request stream set-up failed: %s\n",
                             e.what());
                return refuse_before_body(api_error(500, internal_error_code(), "internal error"));
            }
            if (sink_) {
                parser_->body_limit(boost::none);  // the sink's limits apply
                parser_->on_chunk_body(chunk_to_sink_);
            }
        }
        phase_ = phase::body;
        body_start_ = clock::now();
        body_received_ = 0;
        read_body();
    }

    // A request refused on its header: the answer goes out at once, the body is not read and the
    // connection closes.
    void refuse_before_body(const api_error& e) {
        disarm();
        phase_ = phase::handling;
        pending_ = true;
        write(make_error_response(e, st_->opts.style, parser_->get().version(), false));
    }

    // The body may take body_timeout plus one second per body_min_rate bytes received so far. A
    // body going to a sink has no deadline, but the sink may hold off the next read.
    void read_body() {
        if (sink_) {
            disarm();
            auto wait = sink_->delay();
            if (wait <= clock::duration::zero()) return read_body_some();
            pause_timer_.expires_after(wait);
            pause_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
                if (ec || self->phase_ != phase::body) return;
                self->read_body_some();
            });
            return;
        }
        auto grace = body_timeout();
        if (grace.count() > 0) {
            auto deadline = body_start_ + grace;
            if (st_->opts.body_min_rate > 0)
                deadline += std::chrono::duration_cast<clock::duration>(
                    std::chrono::duration<double>(static_cast<double>(body_received_) /
                                                  static_cast<double>(st_->opts.body_min_rate)));
            arm_at(deadline);
        } else {
            disarm();
        }
        read_body_some();
    }

    void read_body_some() {
        bhttp::async_read_some(stream_, buffer_, *parser_,
                               [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                                   if (ec || self->parser_->is_done()) return self->on_read(ec);
                                   self->body_received_ += n;
                                   self->read_body();
                               });
    }

    void on_read(beast::error_code ec) {
        disarm();
        phase_ = phase::handling;
        if (refused_) {  // the sink refused the rest of the body
            pending_ = true;
            auto e = *refused_;
            refused_.reset();
            write(make_error_response(e, st_->opts.style, parser_->get().version(), false));
            return;
        }
        if (ec && sink_) {
            auto sink = std::move(sink_);
            sink_.reset();
            sink->aborted();
        }
        if (timed_out_ && ec) return answer_timeout();
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
        if (kind_ == kind::refused) {
            pending_ = true;
            write(make_error_response(
                api_error(403, "AccessDeniedException", st_->opts.forbidden_message),
                st_->opts.style, parser_->get().version(), false));
            return;
        }
        sink_.reset();  // the body is complete: nothing left to abort
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
            try {
                finish();
            } catch (...) {  // cancelling the timer failed: the connection is beyond help
            }
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

    void start_stream(response&& header) {
        if (!pending_ || answered_ || !stream_.socket().is_open()) return;
        answered_ = true;
        streaming_ = true;
        stream_ended_ = false;
        header.version(version_);
        // HTTP/1.0 has no chunked coding: its client reads to the end of the connection.
        chunked_out_ = version_ >= 11;
        if (!chunked_out_) keep_alive_ = false;
        header.keep_alive(keep_alive_);
        header.body().clear();
        if (chunked_out_) header.chunked(true);
        std::ostringstream os;
        os << header.base();
        enqueue(os.str());
    }

    void stream_piece(std::string bytes) {
        if (!streaming_ || stream_ended_ || bytes.empty() || !stream_.socket().is_open()) return;
        if (!chunked_out_) return enqueue(std::move(bytes));
        char size[24];
        std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
        std::string framed = size;
        framed.reserve(framed.size() + bytes.size() + 2);
        framed += bytes;
        framed += "\r\n";
        enqueue(std::move(framed));
    }

    void end_stream() {
        if (!streaming_ || stream_ended_ || !stream_.socket().is_open()) return;
        stream_ended_ = true;
        if (chunked_out_) return enqueue("0\r\n\r\n");
        if (!writing_) write_next();
    }

    void write(response&& res) {
        auto sp = std::make_shared<response>(std::move(res));
        phase_ = phase::writing;
        arm(st_->opts.write_timeout);
        bhttp::async_write(stream_, *sp,
                           [self = shared_from_this(), sp](beast::error_code ec, std::size_t) {
                               self->disarm();
                               if (ec) return self->finish();
                               if (sp->need_eof()) return self->linger();
                               self->read();
                           });
    }

    bool connected() const { return stream_.socket().is_open(); }

    void finish() {
        disarm();
        timer_.cancel();
        pause_timer_.cancel();
        out_.clear();
        if (sink_) {
            auto sink = std::move(sink_);
            sink_.reset();
            sink->aborted();
        }
        phase_ = phase::closed;
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
        uncount();
        if (!removed_) {
            removed_ = true;
            st_->sessions.erase(self_pos_);
        }
    }

    void close() { finish(); }

    // Shutdown: a connection waiting for its next request closes now; one whose request is being
    // answered closes after the answer. True while it is answering.
    bool stop_after_answer() {
        keep_alive_ = false;
        if (phase_ == phase::handling || phase_ == phase::writing) return true;
        finish();
        return false;
    }
    bool answering() const { return phase_ == phase::handling || phase_ == phase::writing; }

  private:
    enum class phase { idle, header, body, handling, writing, lingering, closed };

    // A streamed answer: pieces wait here while one is being written.
    void enqueue(std::string bytes) {
        out_.push_back(std::move(bytes));
        if (!writing_) write_next();
    }
    void write_next() {
        if (out_.empty()) {
            writing_ = false;
            if (!stream_ended_) {
                phase_ = phase::handling;  // waiting for the producer: no write deadline
                return;
            }
            streaming_ = stream_ended_ = false;
            if (!keep_alive_) return linger();
            return read();
        }
        writing_ = true;
        phase_ = phase::writing;
        arm(st_->opts.write_timeout);
        auto piece = std::make_shared<std::string>(std::move(out_.front()));
        out_.pop_front();
        asio::async_write(stream_, asio::buffer(*piece),
                          [self = shared_from_this(), piece](beast::error_code ec, std::size_t) {
                              self->disarm();
                              if (ec) return self->finish();
                              self->write_next();
                          });
    }

    // The parser's chunk-body callback while a sink takes the body.
    std::size_t to_sink(std::uint64_t remain, beast::string_view bytes, beast::error_code& ec) {
        try {
            sink_->data(std::string_view(bytes.data(), bytes.size()), bytes.size() == remain);
            return bytes.size();
        } catch (const api_error& e) {
            refused_ = e;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "lambench serve: request stream failed: %s\n", e.what());
            refused_ = api_error(500, internal_error_code(), "internal error");
        }
        ec = bhttp::error::body_limit;  // ends the read; on_read answers refused_
        return 0;
    }

    server_options::duration header_timeout() const {
        return kind_ == kind::refused ? st_->opts.refused_timeout : st_->opts.header_timeout;
    }
    server_options::duration body_timeout() const {
        return kind_ == kind::refused ? st_->opts.refused_timeout : st_->opts.body_timeout;
    }

    // One deadline per connection, moved by each phase. The timer is lazy: moving the deadline
    // later (or clearing it) costs nothing, and an expiry that finds a later deadline waits
    // again; only a deadline earlier than the timer's re-arms it. Most requests thus touch the
    // timer once instead of at every phase.
    void arm(server_options::duration d) {
        if (d.count() <= 0) return disarm();
        arm_at(clock::now() + d);
    }
    void arm_at(clock::time_point t) {
        deadline_ = t;
        if (!timer_waiting_ || t < timer_expiry_) start_timer(t);
    }
    void disarm() { deadline_.reset(); }
    void start_timer(clock::time_point t) {
        timer_expiry_ = t;
        timer_waiting_ = true;
        timer_.expires_at(t);  // cancels a wait already under way; its handler sees the abort
        timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
            auto self = weak.lock();
            if (!self || ec == asio::error::operation_aborted) return;
            self->timer_waiting_ = false;
            if (!self->deadline_ || self->phase_ == phase::closed) return;
            if (clock::now() < *self->deadline_) return self->start_timer(*self->deadline_);
            self->deadline_.reset();
            self->on_deadline();
        });
    }

    void on_deadline() {
        switch (phase_) {
            case phase::header:
            case phase::body:
                if (parser_ && (parser_->got_some() || buffer_.size() > 0)) {
                    // Part of a request arrived: end the read (the handler answers 408).
                    timed_out_ = true;
                    beast::error_code ignored;
                    stream_.socket().shutdown(tcp::socket::shutdown_receive, ignored);
                    stream_.socket().cancel(ignored);
                    return;
                }
                return finish();  // nothing of a request: close quietly
            case phase::idle:
            case phase::writing:
            case phase::lingering:
                return finish();
            case phase::handling:
            case phase::closed:
                return;
        }
    }

    void answer_timeout() {
        bool header = !parser_->is_header_done();
        std::string what =
            header
                ? "request header not received within " + seconds_text(header_timeout())
                : "request body not received in time (" + seconds_text(body_timeout()) +
                      (st_->opts.body_min_rate > 0
                           ? " plus 1 s per " + std::to_string(st_->opts.body_min_rate) + " bytes"
                           : std::string()) +
                      ")";
        pending_ = true;
        write(make_error_response(
            api_error(408,
                      st_->opts.style == error_style::runtime_api ? "RequestTimeout"
                                                                  : "RequestTimeoutException",
                      what),
            st_->opts.style, 11, false));
    }

    // Beyond max_connections: 503 at once, then close.
    void refuse_over_cap() {
        std::string msg = "too many open connections (the limit is " +
                          std::to_string(st_->opts.max_connections) +
                          "); close idle connections or try again later";
        api_error e(
            503,
            st_->opts.style == error_style::runtime_api ? "ServiceUnavailable" : "ServiceException",
            msg);
        e.retry_after_s = 1;
        pending_ = true;
        write(make_error_response(e, st_->opts.style, 11, false));
    }

    // Closing after a final answer: stop sending, then read and drop what the client still sends
    // for a moment, so that closing with unread bytes does not reset the connection before the
    // client has read the answer.
    void linger() {
        phase_ = phase::lingering;
        uncount();
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        arm(linger_time);
        drain();
    }
    void drain() {
        auto buf = std::make_shared<std::array<char, 4096>>();
        stream_.socket().async_read_some(
            asio::buffer(*buf),
            [self = shared_from_this(), buf](beast::error_code ec, std::size_t) {
                if (self->phase_ != phase::lingering) return;
                if (ec) return self->finish();
                self->drain();
            });
    }

    void uncount() {
        if (!counted_) return;
        counted_ = false;
        switch (kind_) {
            case kind::served:
                --st_->open;
                break;
            case kind::refused:
                --st_->refused_open;
                break;
            case kind::overload:
                --st_->overload_open;
                break;
        }
        st_->connection_closed();
    }

    beast::tcp_stream stream_;
    std::shared_ptr<server::state> st_;
    asio::steady_timer timer_;
    asio::steady_timer pause_timer_;             // a sink's hold-off between reads
    std::optional<clock::time_point> deadline_;  // none: no limit in this phase
    clock::time_point timer_expiry_;
    bool timer_waiting_ = false;
    beast::flat_buffer buffer_{max_read_buffer};
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::shared_ptr<body_sink> sink_;   // takes this request's body, when the stream hook said so
    std::optional<api_error> refused_;  // what the sink refused the body with
    std::function<std::size_t(std::uint64_t, beast::string_view, beast::error_code&)>
        chunk_to_sink_ = [this](std::uint64_t remain, beast::string_view bytes,
                                beast::error_code& ec) { return to_sink(remain, bytes, ec); };
    std::deque<std::string> out_;  // a streamed answer's pieces not yet written
    bool streaming_ = false, stream_ended_ = false, chunked_out_ = true, writing_ = false;
    std::list<std::weak_ptr<session>>::iterator self_pos_;
    kind kind_ = kind::served;
    phase phase_ = phase::handling;
    clock::time_point body_start_;
    std::uint64_t body_received_ = 0;
    bool pending_ = false, answered_ = false, keep_alive_ = true, removed_ = false,
         counted_ = false, first_ = false, timed_out_ = false;
    unsigned version_ = 11;
};

void server::state::accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket sock) {
        self->on_accept(ec, std::move(sock));
    });
}

void server::state::on_accept(beast::error_code ec, tcp::socket sock) {
    if (closed) return;
    if (ec) {
        if (ec == asio::error::operation_aborted && !acceptor.is_open()) return;
        if (resource_exhausted(ec)) return pause_accepting(ec);
        std::fprintf(stderr, "lambench serve: %s: accept failed: %s (continuing)\n",
                     where().c_str(), ec.message().c_str());
        return accept();
    }
    if (backoff.count() > 0) {
        auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - paused_since);
        std::fprintf(stderr,
                     "lambench serve: %s: accepting connections again after %lld ms paused\n",
                     where().c_str(), static_cast<long long>(ms.count()));
        backoff = std::chrono::milliseconds(0);
    }
    beast::error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);  // small request/response: no Nagle
    bool refused = false;
    if (opts.admit) {
        try {
            refused = !opts.admit(sock);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "lambench serve: peer check failed: %s\n", e.what());
            refused = true;
        }
    }
    const std::size_t cap = opts.max_connections;
    auto k = refused ? session::kind::refused : session::kind::served;
    if (cap > 0 && refused && refused_open >= cap) {
        // Foreign peers do not get to use up the slots of the ones this server serves.
        sock.close(ignored);
        return accept();
    }
    if (cap > 0 && !refused && open >= cap) {
        if (!at_cap) {
            at_cap = true;
            refused_at_cap = 0;
            std::fprintf(stderr,
                         "lambench serve: %s: %zu connections open, the limit; new connections "
                         "are answered 503 until some close\n",
                         where().c_str(), open);
        }
        ++refused_at_cap;
        if (overload_open >= max_overload_answers) {
            sock.close(ignored);
            return accept();
        }
        k = session::kind::overload;
    }
    switch (k) {
        case session::kind::served:
            ++open;
            break;
        case session::kind::refused:
            ++refused_open;
            break;
        case session::kind::overload:
            ++overload_open;
            break;
    }
    auto s = std::make_shared<session>(std::move(sock), shared_from_this());
    sessions.push_front(s);
    s->start(sessions.begin(), k);
    accept();
}

// Out of descriptors (or kernel memory): an immediate retry fails the same way and spins the
// loop, so accepting pauses — 50 ms, doubling to 1 s — and resumes when a retry succeeds. The
// connections waiting meanwhile stay in the listen backlog.
void server::state::pause_accepting(const beast::error_code& ec) {
    if (backoff.count() == 0) {
        paused_since = clock::now();
        backoff = backoff_first;
        std::fprintf(stderr,
                     "lambench serve: %s: accept failed: %s (%zu connections open); pausing "
                     "accepts, retrying after %lld ms, doubling up to %lld ms\n",
                     where().c_str(), ec.message().c_str(), open + refused_open + overload_open,
                     static_cast<long long>(backoff_first.count()),
                     static_cast<long long>(backoff_max.count()));
    } else {
        backoff = std::min(backoff * 2, std::chrono::milliseconds(backoff_max));
    }
    backoff_timer.expires_after(backoff);
    backoff_timer.async_wait([self = shared_from_this()](beast::error_code e) {
        if (e || self->closed) return;
        self->accept();
    });
}

void server::state::connection_closed() {
    if (!at_cap) return;
    // The episode ends when the open count is clearly below the cap again (a margin, so that
    // hovering at the limit does not log on every connection).
    std::size_t cap = opts.max_connections;
    std::size_t resume_at = cap - std::max<std::size_t>(1, cap / 10);
    if (open > resume_at) return;
    at_cap = false;
    std::fprintf(stderr,
                 "lambench serve: %s: below the connection limit again (%llu connections were "
                 "answered 503)\n",
                 where().c_str(), static_cast<unsigned long long>(refused_at_cap));
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
void responder::start_stream(response&& header) const {
    s_->start_stream(std::move(header));
}
void responder::stream(std::string bytes) const {
    s_->stream_piece(std::move(bytes));
}
void responder::end_stream() const {
    s_->end_stream();
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

// A destructor must not throw (close() copies the session list): log instead of terminating.
server::~server() {
    try {
        close();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lambench serve: closing the HTTP server failed: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "lambench serve: closing the HTTP server failed: unknown exception\n");
    }
}

unsigned short server::port() const {
    return st_->port;
}

asio::ip::address server::address() const {
    return st_->address;
}

void server::drain() {
    st_->closed = true;
    beast::error_code ignored;
    st_->acceptor.close(ignored);
    st_->backoff_timer.cancel();
    auto sessions = st_->sessions;  // finish() erases from the list
    for (auto& w : sessions)
        if (auto s = w.lock()) s->stop_after_answer();
}

std::size_t server::answering() const {
    std::size_t n = 0;
    for (auto& w : st_->sessions)
        if (auto s = w.lock(); s && s->answering()) ++n;
    return n;
}

void server::close() {
    if (st_->closed && st_->sessions.empty()) return;
    st_->closed = true;
    beast::error_code ignored;
    st_->acceptor.close(ignored);
    st_->backoff_timer.cancel();
    auto sessions = st_->sessions;  // finish() erases from the list
    for (auto& w : sessions)
        if (auto s = w.lock()) s->close();
}

}  // namespace lambench::service::http
