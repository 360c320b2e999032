#include "common/base64.hpp"
#include "errors.hpp"
#include "event_stream.hpp"
#include "lambda_api.hpp"
#include "memory_meter.hpp"
#include "resources.hpp"
#include "util.hpp"

namespace lambench::service {

namespace bhttp = http::bhttp;

namespace {
std::string header(const http::request& req, const char* name) {
    auto it = req.find(name);
    return it == req.end() ? std::string{} : std::string(it->value());
}

// A header value built from a function's bytes (its error type): control characters would let
// a function split the caller's response, so they are dropped.
std::string header_safe(std::string v) {
    std::erase_if(v, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
    return v;
}
}  // namespace

// What Invoke and InvokeWithResponseStream share: the checks of the request and the invocation
// it asks for. Throws api_error.
lambda_api::invoke_request lambda_api::parse_invoke(const std::string& name, http::request& req,
                                                    bool streaming) {
    invoke_request r;
    r.fn = registry_.get(name);
    // While Pending Lambda invokes nothing; during an update it runs the function (here with
    // the new configuration, see docs/architecture.md, Known gaps).
    check_not_pending(*r.fn);
    std::string& type = r.type;
    type = header(req, "X-Amz-Invocation-Type");
    if (type.empty()) type = "RequestResponse";
    if (streaming && type != "RequestResponse" && type != "DryRun")
        throw invalid_parameter("X-Amz-Invocation-Type must be RequestResponse or DryRun, got '" +
                                type + "'");
    if (type != "RequestResponse" && type != "Event" && type != "DryRun")
        throw invalid_parameter(
            "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun, got '" + type + "'");
    std::string log_type = header(req, "X-Amz-Log-Type");
    if (!log_type.empty() && log_type != "Tail" && log_type != "None")
        throw invalid_parameter("X-Amz-Log-Type must be Tail or None, got '" + log_type + "'");

    std::size_t limit = type == "Event" ? max_event_payload : max_sync_payload;
    if (req.body().size() > limit)
        throw api_error(413, "RequestTooLargeException",
                        "Request must be smaller than " + std::to_string(limit) +
                            " bytes for the InvokeFunction operation");
    // Lambda rejects a payload that is not JSON before anything runs.
    if (!req.body().empty() && !nlohmann::json::accept(req.body()))
        throw invalid_content("Could not parse request body into json: payload is not valid JSON");

    r.tail = log_type == "Tail";
    auto& inv = r.inv;
    inv = std::make_shared<invocation>();
    inv->id = new_request_id();
    inv->function = name;
    inv->payload = req.body().empty() ? std::string("{}") : std::move(req.body());
    if (auto cc = header(req, "X-Amz-Client-Context"); !cc.empty()) {
        auto decoded = common::base64_decode(cc, common::base64_mode::lenient);
        if (!decoded || !nlohmann::json::accept(*decoded))
            throw invalid_content("X-Amz-Client-Context must be a base64-encoded JSON object");
        // JSON allows CR/LF between tokens; they would split the Runtime API's header.
        inv->client_context = header_safe(std::move(*decoded));
    }
    return r;
}

std::string lambda_api::model_description() const {
    return std::string("cgroups=") + cgroup_mode_name(detect_cgroups().mode) +
           "; init_cpu=" + (cfg_.init_cpu == init_cpu_mode::full ? "full" : "proportional") +
           "; isolation=" + (isolation_.enabled() ? "on" : "off") +
           "; mmu_definition=" + std::to_string(mmu_definition_version) +
           "; resources=" + (partial_model_ ? "partial" : "full");
}

void lambda_api::invoke(const std::string& name, http::request&& req,
                        const http::responder& reply) {
    auto parsed = parse_invoke(name, req, false);
    function_ptr fn = std::move(parsed.fn);
    invocation_ptr inv = std::move(parsed.inv);
    const std::string type = std::move(parsed.type);
    const bool tail = parsed.tail;
    const char* model = partial_model_ ? "partial" : "full";
    // The resource model a result depends on, for the driver to record with every sample.
    const std::string full_model = model_description();
    if (type == "DryRun") {
        http::response res{bhttp::status::no_content, 11};
        res.set("x-amzn-RequestId", inv->id);
        reply.send(std::move(res));
        return;
    }
    if (type == "Event") {
        // 202 only once the event is on disk: an acknowledged event survives a crash.
        scheduler_.enqueue_event(fn, inv, [reply, model, id = inv->id](bool saved) {
            if (!saved) {
                reply.fail(api_error(500, "ServiceException",
                                     "the event could not be saved; it was not queued"));
                return;
            }
            http::response res{bhttp::status::accepted, 11};
            res.set("x-amzn-RequestId", id);
            res.set("X-Lambench-Resource-Model", model);
            reply.send(std::move(res));
        });
        return;
    }
    inv->done = [reply, tail, model, full_model, id = inv->id](invocation_result&& r) {
        http::response res{bhttp::status::ok, 11};
        res.set(bhttp::field::content_type, "application/json");
        res.set("x-amzn-RequestId", id);
        res.set("X-Amz-Executed-Version", "$LATEST");
        res.set("X-Lambench-Resource-Model", model);
        res.set("X-Lambench-Model", full_model);
        if (r.function_error) {
            res.set("X-Amz-Function-Error", "Unhandled");
            res.set("X-Lambench-Error-Type", header_safe(r.error_type));
        }
        if (tail) res.set("X-Amz-Log-Result", common::base64_encode(log_tail(r.log)));
        res.body() = std::move(r.body);
        reply.send(std::move(res));
    };
    scheduler_.invoke(fn, std::move(inv));
}

}  // namespace lambench::service

namespace lambench::service {

// InvokeWithResponseStream: 200 with an event stream, PayloadChunk events as the function's
// bytes arrive, InvokeComplete at the end. The answer's header goes out with the first event, so
// that refusals before the function runs (throttling, a bad request) are ordinary errors; a
// failure after that can only be told in InvokeComplete.
void lambda_api::invoke_streaming(const std::string& name, http::request&& req,
                                  const http::responder& reply) {
    auto parsed = parse_invoke(name, req, true);
    function_ptr fn = std::move(parsed.fn);
    invocation_ptr inv = std::move(parsed.inv);
    const std::string type = std::move(parsed.type);
    const bool tail = parsed.tail;
    if (type == "DryRun") {
        http::response res{bhttp::status::no_content, 11};
        res.set("x-amzn-RequestId", inv->id);
        reply.send(std::move(res));
        return;
    }
    struct answer_state {
        http::responder reply;
        std::string id, model, full_model;
        bool started = false;
        void start() {
            if (started) return;
            started = true;
            http::response res{bhttp::status::ok, 11};
            res.set(bhttp::field::content_type, "application/vnd.amazon.eventstream");
            res.set("x-amzn-RequestId", id);
            res.set("X-Amz-Executed-Version", "$LATEST");
            res.set("X-Lambench-Resource-Model", model);
            res.set("X-Lambench-Model", full_model);
            reply.start_stream(std::move(res));
        }
    };
    auto st = std::make_shared<answer_state>(
        answer_state{reply, inv->id, partial_model_ ? "partial" : "full", model_description()});
    inv->on_stream = [st](std::string_view bytes) {
        st->start();
        st->reply.stream(event_stream::payload_chunk(bytes));
    };
    inv->done = [st, tail](invocation_result&& r) {
        st->start();
        // A response the runtime did not stream (a buffered function) is one chunk, as on Lambda.
        if (!r.streamed && !r.function_error) {
            std::string_view body = r.body;
            for (std::size_t at = 0; at < body.size(); at += stream_piece_max)
                st->reply.stream(event_stream::payload_chunk(body.substr(at, stream_piece_max)));
        }
        std::string code = r.function_error ? header_safe(r.error_type) : std::string();
        if (r.function_error && code.empty()) code = "Unhandled";
        st->reply.stream(event_stream::invoke_complete(
            code, r.function_error ? std::string_view(r.body) : std::string_view(),
            tail ? common::base64_encode(log_tail(r.log)) : std::string()));
        st->reply.end_stream();
    };
    scheduler_.invoke(fn, std::move(inv));
}

}  // namespace lambench::service
