#include "common/base64.hpp"
#include "errors.hpp"
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

void lambda_api::invoke(const std::string& name, http::request&& req,
                        const http::responder& reply) {
    auto fn = registry_.get(name);
    // While Pending Lambda invokes nothing; during an update it runs the function (here with
    // the new configuration, see docs/architecture.md, Known gaps).
    check_not_pending(*fn);
    std::string type = header(req, "X-Amz-Invocation-Type");
    if (type.empty()) type = "RequestResponse";
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

    auto inv = std::make_shared<invocation>();
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

    const char* model = partial_model_ ? "partial" : "full";
    // The resource model a result depends on, for the driver to record with every sample.
    const std::string full_model =
        std::string("cgroups=") + cgroup_mode_name(detect_cgroups().mode) +
        "; init_cpu=" + (cfg_.init_cpu == init_cpu_mode::full ? "full" : "proportional") +
        "; isolation=" + (isolation_.enabled() ? "on" : "off") +
        "; mmu_definition=" + std::to_string(mmu_definition_version) + "; resources=" + model;
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
    bool tail = log_type == "Tail";
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
