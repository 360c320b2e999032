// The Runtime API loop: GET /next → handler → POST /response or /error, forever, over one
// kept-alive connection. Buffers live across iterations so a warm invocation allocates only
// what the handler itself allocates.
#include "lambench/runtime.hpp"

#include <cxxabi.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <typeinfo>

#include "common/base64.hpp"
#include "common/json_escape.hpp"
#include "http.hpp"

namespace lambench::runtime {
namespace {

using detail::http_header;

constexpr std::string_view api_base = "/2018-06-01/runtime/";
constexpr std::string_view log_prefix = "lambench-runtime: ";

// Set once the first /next is sent: from then on exceptions belong to invocations, not init.
std::atomic<bool> loop_started{false};

// stderr without iostreams (which would cost static size and cold-start time).
void log_line(std::string_view text) {
    std::string line;
    line.reserve(log_prefix.size() + text.size() + 1);
    line += log_prefix;
    line += text;
    line += '\n';
    std::string_view rest = line;
    while (!rest.empty()) {
        ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
        if (n <= 0) return;
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string demangle(const char* mangled) {
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> name(
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
    return status == 0 && name ? std::string(name.get()) : std::string(mangled);
}

std::string error_body(std::string_view message, std::string_view type) {
    std::string body;
    body.reserve(message.size() + type.size() + 64);
    body += "{\"errorMessage\":";
    common::append_json_string(body, message);
    body += ",\"errorType\":";
    common::append_json_string(body, type);
    body += ",\"stackTrace\":[]}";
    return body;
}

// What the current exception is: its message and its (demangled, dynamic) type name.
struct exception_info {
    std::string message;
    std::string type;
};

exception_info describe_current_exception() {
    exception_info info;
    const std::type_info* t = abi::__cxa_current_exception_type();
    info.type = t ? demangle(t->name()) : "unknown";
    try {
        throw;
    } catch (const std::exception& e) {
        info.type = demangle(typeid(e).name());
        info.message = e.what();
    } catch (...) {
        info.message = "exception of type " + info.type;
    }
    return info;
}

std::optional<detail::endpoint> endpoint_from_env() {
    const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
    if (api == nullptr || *api == '\0') {
        log_line(
            "AWS_LAMBDA_RUNTIME_API is not set: run this program as a Lambda bootstrap "
            "(or set AWS_LAMBDA_RUNTIME_API=host:port)");
        return std::nullopt;
    }
    auto ep = detail::parse_endpoint(api);
    if (!ep) {
        log_line("AWS_LAMBDA_RUNTIME_API: " + ep.error());
        return std::nullopt;
    }
    return std::move(*ep);
}

// _X_AMZN_TRACE_ID, which tracing SDKs read from the environment. Lambda (and lambench serve)
// send a fresh trace id with every invocation, and setenv() would then leak: glibc keeps every
// "name=value" string it ever built (a getenv() result may still be in use), so one allocation
// per invocation is never freed. Instead one buffer of ours sits in the environment (putenv
// keeps the pointer) and is rewritten in place: no allocation, no lock, no tree insert.
class trace_env_entry {
  public:
    void set(const std::string& value) {
        if (value.empty()) {
            if (std::getenv(name) != nullptr) ::unsetenv(name);
            return;
        }
        const std::size_t need = name_len + 1 + value.size() + 1;
        if (need > capacity_ || !owned()) {
            if (need > capacity_) {
                // Old buffers are never freed: a handler may still hold a getenv() pointer into
                // one. Capacity doubles, so this happens a handful of times at most.
                capacity_ = std::max<std::size_t>(need, std::max<std::size_t>(256, capacity_ * 2));
                buf_ = new char[capacity_];
                std::memcpy(buf_, name, name_len);
                buf_[name_len] = '=';
            }
            write_value(value);
            ::putenv(buf_);
            return;
        }
        write_value(value);
    }

  private:
    static constexpr char name[] = "_X_AMZN_TRACE_ID";
    static constexpr std::size_t name_len = sizeof name - 1;

    // Still our buffer in the environment? User code may have setenv()/unsetenv() it since.
    bool owned() const { return buf_ != nullptr && std::getenv(name) == buf_ + name_len + 1; }
    void write_value(const std::string& value) {
        std::memcpy(buf_ + name_len + 1, value.c_str(), value.size() + 1);
    }

    char* buf_ = nullptr;  // "_X_AMZN_TRACE_ID=<value>\0", deliberately never freed
    std::size_t capacity_ = 0;
};

// One per process, like the environment itself (and reachable from a global, so leak checkers
// do not flag the buffer after an unsetenv()).
constinit trace_env_entry trace_env;

class loop {
  public:
    explicit loop(detail::endpoint ep) : client_(std::move(ep)) {
        path_.reserve(128);
        resp_body_.reserve(256);
        next_path_ = std::string(api_base) + "invocation/next";
        // Pipelining the next GET behind each POST is plain HTTP/1.1, but a Runtime API that
        // mishandles it can be accommodated: LAMBENCH_RUNTIME_PIPELINE=0 turns it off.
        const char* pipeline = std::getenv("LAMBENCH_RUNTIME_PIPELINE");
        pipeline_ = pipeline == nullptr || std::string_view(pipeline) != "0";
    }

    int run(const handler& fn) {
        return run_loop([&] {
            std::optional<response> result;
            try {
                result.emplace(fn(inv_));
            } catch (...) {
                auto info = describe_current_exception();
                result.emplace(response::failure(std::move(info.message), std::move(info.type)));
            }
            return post_result(*result);
        });
    }

    int run_streaming(const streaming_handler& fn, std::string_view content_type) {
        return run_loop([&] { return serve_streamed(fn, content_type); });
    }

    int post_init_error(std::string_view message, std::string_view type) {
        std::string path(api_base);
        path += "init/error";
        std::string body = error_body(message, type);
        const std::array<http_header, 2> headers = {
            http_header{"Content-Type", "application/json"},
            http_header{"Lambda-Runtime-Function-Error-Type", type}};
        auto r = client_.request("POST", path, headers, body, resp_, resp_body_);
        if (!r) {
            log_line("POST " + path + " failed: " + r.error().message);
        } else if (resp_.status != 202) {
            log_line("POST " + path + " answered " + std::to_string(resp_.status));
        }
        return 1;
    }

  private:
    // GET /next, hand the event to `serve`, again; returns when serve() or the Runtime API fails.
    template <class Serve>
    int run_loop(Serve&& serve) {
        loop_started.store(true);
        const std::string& next_path = next_path_;
        for (;;) {
            auto got = client_.pending()
                           ? client_.read_pending(next_path, resp_, inv_.payload)
                           : client_.request("GET", next_path, {}, {}, resp_, inv_.payload);
            if (!got) return lost("GET " + next_path, got.error());
            if (resp_.status != 200) {
                log_line("GET " + next_path + " answered " + std::to_string(resp_.status) + ": " +
                         inv_.payload.substr(0, 200));
                return 1;
            }
            if (!parse_invocation()) return 1;
            if (int rc = serve(); rc != 0) return rc;
        }
    }

    // The response of a streaming handler: one chunked POST /response in streaming mode, opened
    // at the first write; an exception after that ends it with the error trailers.
    class stream_writer final : public response_stream {
      public:
        stream_writer(detail::http_client& client, const std::string& path,
                      std::string_view content_type)
            : client_(client), path_(path), content_type_(content_type) {}

        bool write(std::string_view bytes) override {
            if (failed_) return false;
            if (bytes.empty()) return true;
            if (!started_ && !begin()) return false;
            // The Runtime API answers early only to refuse the rest (over the size limit).
            if (client_.answered_early()) {
                failed_ = true;
                return false;
            }
            if (auto r = client_.send_chunk(bytes); !r) {
                failed_ = true;
                error_ = r.error();
                return false;
            }
            return true;
        }

        bool begin() {
            started_ = true;
            const std::array<http_header, 3> headers = {
                http_header{"Content-Type", content_type_},
                http_header{"Lambda-Runtime-Function-Response-Mode", "streaming"},
                http_header{
                    "Trailer",
                    "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"}};
            if (auto r = client_.begin_chunked("POST", path_, headers); !r) {
                failed_ = true;
                error_ = r.error();
                return false;
            }
            return true;
        }

        bool started() const { return started_; }
        const std::optional<detail::http_error>& error() const { return error_; }

      private:
        detail::http_client& client_;
        const std::string& path_;
        std::string_view content_type_;
        bool started_ = false, failed_ = false;
        std::optional<detail::http_error> error_;
    };

    int serve_streamed(const streaming_handler& fn, std::string_view content_type) {
        invocation_path("response");
        stream_writer out(client_, path_, content_type);
        std::optional<exception_info> failure;
        try {
            fn(inv_, out);
        } catch (...) {
            failure = describe_current_exception();
        }
        if (failure && !out.started()) return post_error(failure->message, failure->type);
        if (!out.started() && !out.begin()) return lost("POST " + path_, *out.error());
        if (out.error()) {
            // The connection broke mid-stream; the Runtime API may still have answered.
            log_line("POST " + path_ + " failed mid-stream: " + out.error()->message);
        }
        std::string type, body;
        std::array<http_header, 2> trailers;
        std::size_t trailer_count = 0;
        if (failure) {
            type = failure->type;
            body = common::base64_encode(error_body(failure->message, failure->type));
            trailers = {http_header{"Lambda-Runtime-Function-Error-Type", type},
                        http_header{"Lambda-Runtime-Function-Error-Body", body}};
            trailer_count = 2;
        }
        auto r = client_.end_chunked(std::span(trailers).first(trailer_count), resp_, resp_body_);
        if (!r) return lost("POST " + path_, r.error());
        if (resp_.status != 202)
            log_line("POST " + path_ + " answered " + std::to_string(resp_.status) + ": " +
                     resp_body_.substr(0, 200));
        return 0;
    }

    int lost(const std::string& what, const detail::http_error& err) {
        const bool protocol =
            err.code == detail::http_errc::malformed || err.code == detail::http_errc::too_large;
        log_line("Runtime API at " + client_.target() +
                 (protocol ? " sent an unusable response (" : " went away (") + what +
                 "): " + err.message + "; exiting");
        return 1;
    }

    bool parse_invocation() {
        std::string_view id = resp_.header("Lambda-Runtime-Aws-Request-Id");
        if (id.empty()) {
            log_line("GET /next answered without Lambda-Runtime-Aws-Request-Id; exiting");
            return false;
        }
        inv_.request_id.assign(id);
        inv_.invoked_function_arn.assign(resp_.header("Lambda-Runtime-Invoked-Function-Arn"));
        inv_.client_context.assign(resp_.header("Lambda-Runtime-Client-Context"));
        inv_.cognito_identity.assign(resp_.header("Lambda-Runtime-Cognito-Identity"));

        std::string_view deadline = resp_.header("Lambda-Runtime-Deadline-Ms");
        long long ms = 0;
        auto [ptr, ec] = std::from_chars(deadline.data(), deadline.data() + deadline.size(), ms);
        if (deadline.empty() || ec != std::errc{})
            ms = 0;  // unknown deadline: remaining_time() is then negative, never a crash
        inv_.deadline = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));

        std::string_view trace = resp_.header("Lambda-Runtime-Trace-Id");
        if (first_ || trace != inv_.xray_trace_id) {
            first_ = false;
            inv_.xray_trace_id.assign(trace);
            trace_env.set(inv_.xray_trace_id);
        }
        return true;
    }

    void invocation_path(std::string_view leaf) {
        path_.assign(api_base);
        path_ += "invocation/";
        path_ += inv_.request_id;
        path_ += '/';
        path_ += leaf;
    }

    int post_error(std::string_view message, std::string_view type) {
        invocation_path("error");
        std::string body = error_body(message, type);
        const std::array<http_header, 2> headers = {
            http_header{"Content-Type", "application/json"},
            http_header{"Lambda-Runtime-Function-Error-Type", type}};
        auto r = client_.request("POST", path_, headers, body, resp_, resp_body_,
                                 then_next(body.size()));
        if (!r) return lost("POST " + path_, r.error());
        if (resp_.status != 202)
            log_line("POST " + path_ + " answered " + std::to_string(resp_.status) + ": " +
                     resp_body_.substr(0, 200));
        return 0;
    }

    // The GET /next to pipeline behind a POST, if any. Never behind a body the Runtime API
    // may refuse (over 6 MiB → 413): then a function error must follow, not the next event.
    std::string_view then_next(std::size_t body_size = 0) const {
        return pipeline_ && body_size <= max_pipelined_body ? std::string_view(next_path_)
                                                            : std::string_view();
    }

    int post_result(const response& result) {
        if (result.is_failure()) return post_error(result.body(), result.error_type());
        invocation_path("response");
        const std::array<http_header, 1> headers = {
            http_header{"Content-Type", result.content_type()}};
        // No Content-Type at all rather than an empty one.
        const std::size_t header_count = result.content_type().empty() ? 0 : 1;
        const std::size_t size = result.body().size();
        auto r = client_.request("POST", path_, std::span(headers).first(header_count),
                                 result.body(), resp_, resp_body_, then_next(size));
        const auto too_large = [&] {
            // The caller must still get an answer, so the invocation becomes a function error,
            // as Lambda's own runtimes report it.
            return post_error("Response payload size (" + std::to_string(size) +
                                  " bytes) exceeded maximum allowed payload size",
                              "Function.ResponseSizeTooLarge");
        };
        if (!r) {
            // A server may answer an oversized body with 413 and close before reading it all;
            // the reset can then reach us before the 413 does. Over the limit, that is the
            // likelier story than the Runtime API vanishing, and /error will tell which.
            if (size > max_pipelined_body) {
                log_line("POST " + path_ + " of " + std::to_string(size) +
                         " bytes failed: " + r.error().message + "; reporting it as too large");
                return too_large();
            }
            return lost("POST " + path_, r.error());
        }
        if (resp_.status == 202) return 0;
        if (resp_.status == 413) return too_large();
        log_line("POST " + path_ + " answered " + std::to_string(resp_.status) + ": " +
                 resp_body_.substr(0, 200));
        return 0;
    }

    detail::http_client client_;
    detail::http_response resp_;
    std::string resp_body_;
    std::string path_;
    std::string next_path_;
    bool pipeline_ = true;
    static constexpr std::size_t max_pipelined_body = 6 * 1024 * 1024;
    invocation inv_;
    bool first_ = true;  // the inherited environment may hold a stale trace id
};

// An exception escaping main() before the loop started is an init failure: Lambda must hear
// about it through /init/error, not just see the process die.
std::terminate_handler previous_terminate = nullptr;

[[noreturn]] void on_terminate() {
    if (!loop_started.load() && std::current_exception()) {
        auto info = describe_current_exception();
        log_line("uncaught exception during init: " + info.type + ": " + info.message);
        if (auto ep = endpoint_from_env())
            loop(std::move(*ep)).post_init_error(info.message, info.type);
        std::_Exit(1);
    }
    if (previous_terminate != nullptr) previous_terminate();
    std::abort();
}

// init_priority(101): before the user's own globals (default priority), so an exception thrown
// by one of their constructors is reported too.
struct terminate_installer {
    terminate_installer() noexcept { previous_terminate = std::set_terminate(&on_terminate); }
};
__attribute__((init_priority(101))) terminate_installer install_terminate_handler;

}  // namespace

int run(const handler& fn) {
    auto ep = endpoint_from_env();
    if (!ep) return 1;
    return loop(std::move(*ep)).run(fn);
}

int run_streaming(const streaming_handler& fn, std::string content_type) {
    auto ep = endpoint_from_env();
    if (!ep) return 1;
    return loop(std::move(*ep)).run_streaming(fn, content_type);
}

int init_error(const std::string& message, const std::string& type) {
    log_line("init error: " + type + ": " + message);
    auto ep = endpoint_from_env();
    if (!ep) return 1;
    return loop(std::move(*ep)).post_init_error(message, type);
}

}  // namespace lambench::runtime
