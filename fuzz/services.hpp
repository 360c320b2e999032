// The two HTTP services of `lambench serve`, set up for fuzzing in one process: the Lambda REST
// API (a real lambda_api over a real registry and scheduler in a scratch state directory) and a
// sandbox's Runtime API (the real route_runtime_request to an endpoint that answers as a sandbox
// does). Each has a real http::server on 127.0.0.1 with the options the service gives it.
//
// concurrency = 0 and event_queue = 0: an Invoke runs every check of the request and is then
// throttled (429) instead of starting a sandbox, so no process is ever spawned. reset() deletes
// the functions an input created, so that every input starts from an empty registry and a crash
// reproduces from its input alone.
//
// `captured` is the responder of a request that was answered at start-up. The in-memory targets
// hand it to the handlers: answering it again is ignored (http_server.hpp: "answering twice is
// ignored"), so handlers run to the end, JSON bodies and all, with no socket per input.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "service/config.hpp"
#include "service/errors.hpp"
#include "service/http_server.hpp"
#include "service/lambda_api.hpp"
#include "service/logs.hpp"
#include "service/registry.hpp"
#include "service/runtime_api.hpp"
#include "service/sandbox.hpp"
#include "service/scheduler.hpp"
#include "service_harness.hpp"

namespace lambench_fuzz {

namespace svc = lambench::service;
namespace asio = boost::asio;

struct lambda_service {
    asio::io_context io{1};
    svc::service_config cfg;
    std::unique_ptr<svc::log_store> logs;
    std::unique_ptr<svc::registry> reg;
    std::unique_ptr<svc::scheduler> sched;
    std::unique_ptr<svc::lambda_api> api;
    std::unique_ptr<svc::http::server> server;
    std::optional<svc::http::responder> captured;

    lambda_service() {
        const auto state = scratch_dir() / "state";
        std::filesystem::create_directories(state / "code");
        cfg.state_dir = state;
        cfg.concurrency = 0;  // Invoke: throttled after validation, never a sandbox
        cfg.event_queue = 0;  // Event: the same
        cfg.launchers["nodejs20.x"] = "node {handler}";
        logs = std::make_unique<svc::log_store>(state / "logs");
        reg = std::make_unique<svc::registry>(state / "code", cfg.region);
        svc::sandbox_settings ss;
        ss.group_prefix = "lambench-fuzz-";
        sched = std::make_unique<svc::scheduler>(io, *reg, cfg, ss, *logs);
        api = std::make_unique<svc::lambda_api>(*reg, *sched, cfg, true);
        // The options `lambench serve` gives its Lambda API listener (service.cpp).
        svc::http::server_options opts;
        opts.style = svc::http::error_style::lambda_api;
        opts.body_limit = body_limit;
        opts.name = "Lambda API";
        server = std::make_unique<svc::http::server>(
            io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0),
            [this](svc::http::request&& req, const svc::http::responder& reply) {
                if (!captured) captured = reply;
                api->handle(std::move(req), reply);
            },
            std::move(opts));
        exchange(io, server->port(), "GET /2015-03-31/functions/ HTTP/1.1\r\nHost: x\r\n\r\n");
        if (!captured) violated("the Lambda API did not answer its first request");
    }

    void reset() {
        for (const auto& f : reg->list()) {
            reg->remove(f->spec.name);
            sched->retire(f->spec.name);
        }
    }

    static constexpr std::uint64_t body_limit = 80ull * 1024 * 1024;
};

inline constexpr const char* current_request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

// Answers as sandbox.cpp does: /next hands out an event, a response or error for the current
// request id is accepted (error_type_of reads the body), any other id is refused with the id
// echoed, an oversized response gets 413.
class fake_sandbox final : public svc::runtime_endpoint {
  public:
    void on_next(const svc::http::responder& reply) override {
        namespace bhttp = svc::http::bhttp;
        svc::http::response res{bhttp::status::ok, 11};
        res.set(bhttp::field::content_type, "application/json");
        res.set("Lambda-Runtime-Aws-Request-Id", current_request_id);
        res.set("Lambda-Runtime-Deadline-Ms", "1700000003000");
        res.set("Lambda-Runtime-Invoked-Function-Arn",
                "arn:aws:lambda:us-east-1:000000000000:function:fuzz");
        res.set("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0");
        res.body() = R"({"key":"value"})";
        reply.send(std::move(res));
    }
    void on_response(const std::string& id, svc::http::request&& req,
                     const svc::http::responder& reply) override {
        check_id(id);
        if (req.body().size() > svc::max_runtime_payload) {
            reply.fail(svc::api_error(413, "RequestEntityTooLarge", "Response payload too large"));
            return;
        }
        // A streamed response ends with its error trailers, if any (sandbox::finish_stream).
        if (svc::streaming_mode(req)) {
            if (auto e = svc::stream_error_of(req)) {
                if (e->type.empty() || e->body.empty())
                    violated("stream_error_of gave an empty type or body", req.body());
                last_error_type = e->type;
            }
        }
        reply.send(svc::accepted_response());
    }
    void on_error(const std::string& id, svc::http::request&& req,
                  const svc::http::responder& reply) override {
        check_id(id);
        last_error_type = svc::error_type_of(req);
        reply.send(svc::accepted_response());
    }
    void on_init_error(svc::http::request&& req, const svc::http::responder& reply) override {
        last_error_type = svc::error_type_of(req);
        reply.send(svc::accepted_response());
    }

    std::string last_error_type;

  private:
    static void check_id(const std::string& id) {
        if (id != current_request_id)
            throw svc::api_error(400, "InvalidRequestID", "Invalid request ID: " + id);
    }
};

// Takes a streamed response's bytes as a sandbox does (sandbox::open_stream), refusing them past
// a small limit so that the refusal path is reached too.
class counting_sink final : public svc::http::body_sink {
  public:
    void data(std::string_view bytes, bool) override {
        received_ += bytes.size();
        if (received_ > limit)
            throw svc::api_error(413, "RequestEntityTooLarge", "streamed response too large");
    }
    static constexpr std::size_t limit = 64 * 1024;

  private:
    std::size_t received_ = 0;
};

struct runtime_service {
    asio::io_context io{1};
    fake_sandbox sandbox;
    bool refuse_next = false;  // the next connection comes from a peer admit refuses
    std::unique_ptr<svc::http::server> server;
    std::optional<svc::http::responder> captured;

    runtime_service() {
        // The options sandbox::runtime_server_options() gives a sandbox's listener.
        svc::http::server_options o;
        o.style = svc::http::error_style::runtime_api;
        o.body_limit = body_limit;
        o.name = "Runtime API of fuzz";
        o.header_timeout = o.body_timeout = o.idle_timeout = o.write_timeout =
            svc::http::server_options::duration(0);
        o.max_connections = 64;
        o.admit = [this](const asio::ip::tcp::socket&) { return !refuse_next; };
        o.stream = [](const svc::http::request& header) -> std::shared_ptr<svc::http::body_sink> {
            if (!svc::streaming_mode(header)) return nullptr;
            return std::make_shared<counting_sink>();
        };
        o.forbidden_message =
            "this Runtime API endpoint serves only the processes of its own execution environment";
        server = std::make_unique<svc::http::server>(
            io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0),
            [this](svc::http::request&& req, const svc::http::responder& reply) {
                if (!captured) captured = reply;
                svc::route_runtime_request(sandbox, std::move(req), reply);
            },
            std::move(o));
        exchange(io, server->port(),
                 "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n");
        if (!captured) violated("the Runtime API did not answer its first request");
    }

    static constexpr std::uint64_t body_limit = 16 * 1024 * 1024;
};

}  // namespace lambench_fuzz
