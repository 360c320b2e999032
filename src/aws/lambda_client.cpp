#include "aws/lambda_client.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "aws/credentials.hpp"
#include "aws/errors.hpp"
#include "aws/http_transport.hpp"
#include "aws/sigv4.hpp"
#include "common/base64.hpp"
#include "common/crc32.hpp"

namespace lambench::aws {
namespace {

using json = nlohmann::json;
constexpr const char* api_prefix = "/2015-03-31/functions";

std::string function_path(const std::string& name) {
    if (name.empty()) throw std::invalid_argument("lambda_client: empty function name");
    // ':' of "name:qualifier" and of ARNs travels percent-encoded, as the AWS SDKs send it.
    return std::string(api_prefix) + '/' + sigv4::uri_encode(name, false);
}

}  // namespace

struct lambda_client::impl {
    signed_transport transport;

    impl(std::string endpoint_in, std::string region_in, std::optional<credentials> creds_in)
        : transport(
              make_transport(std::move(endpoint_in), std::move(region_in), std::move(creds_in))) {}

    static signed_transport make_transport(std::string endpoint, std::string region,
                                           std::optional<credentials> creds) {
        if (region.empty()) region = default_region();
        const bool aws = endpoint.empty();
        if (aws) endpoint = default_endpoint(region);
        if (!creds) {
            if (aws)
                throw std::runtime_error(
                    "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
                    "AWS_SESSION_TOKEN), or add them to ~/.aws/credentials [default or "
                    "$AWS_PROFILE]");
            // The local service checks that requests are signed, not by whom.
            creds = credentials{"AKIDLAMBENCHLOCAL", "lambench-local-secret", ""};
        }
        try {
            return signed_transport(std::move(endpoint), std::move(region), "lambda",
                                    std::move(*creds));
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument(std::string("lambda_client: ") + e.what());
        }
    }

    http_response send(const std::string& method, const std::string& path, const std::string& query,
                       const std::string& body, std::vector<sigv4::header> headers = {}) {
        if (method == "POST" || method == "PUT")
            headers.insert(headers.begin(), {"Content-Type", "application/json"});
        headers.push_back({"Accept", "application/json"});
        return transport.send(method, path, query, body, headers);
    }

    http_response call(const std::string& method, const std::string& path, const std::string& query,
                       const std::string& body, std::initializer_list<long> ok) {
        // Control-plane calls are rate-limited on AWS (TooManyRequestsException, 429); a
        // deploy should wait and go on rather than abort a long run. Invocations are never
        // retried here: a throttled sample is a result the caller must see.
        for (int attempt = 1;; ++attempt) {
            http_response r = send(method, path, query, body);
            if (std::find(ok.begin(), ok.end(), r.status) != ok.end()) return r;
            if (r.status != 429 || attempt >= attempts) throw json_error(r);
            std::this_thread::sleep_for(retry_delay(r, attempt));
        }
    }

    int attempts = 4;  // control-plane calls: at most this many tries of a 429
};

lambda_client::lambda_client(std::string endpoint, std::string region,
                             std::optional<credentials> creds)
    : impl_(std::make_unique<impl>(std::move(endpoint), std::move(region), std::move(creds))) {}
lambda_client::~lambda_client() = default;
lambda_client::lambda_client(lambda_client&&) noexcept = default;
lambda_client& lambda_client::operator=(lambda_client&&) noexcept = default;

void lambda_client::set_control_plane_attempts(int attempts) {
    impl_->attempts = std::max(attempts, 1);
}

const std::string& lambda_client::endpoint() const {
    return impl_->transport.endpoint();
}
const std::string& lambda_client::region() const {
    return impl_->transport.region();
}

std::string lambda_client::create_function(const function_config& cfg,
                                           const std::vector<std::uint8_t>& zip) {
    if (cfg.name.empty()) throw std::invalid_argument("create_function: empty function name");
    json body = {
        {"FunctionName", cfg.name},
        {"Runtime", cfg.runtime},
        {"Role", cfg.role},
        {"Handler", cfg.handler},
        {"MemorySize", cfg.memory_mb},
        {"Timeout", cfg.timeout_s},
        {"Architectures", json::array({cfg.architecture})},
        {"PackageType", "Zip"},
        {"Environment", {{"Variables", cfg.environment}}},
        {"Code",
         {{"ZipFile", common::base64_encode(std::string_view(
                          reinterpret_cast<const char*>(zip.data()), zip.size()))}}},
    };
    if (cfg.environment.empty()) body["Environment"]["Variables"] = json::object();
    if (!cfg.tags.empty()) body["Tags"] = cfg.tags;
    if (!cfg.subnet_ids.empty() || !cfg.security_group_ids.empty())
        body["VpcConfig"] = {{"SubnetIds", cfg.subnet_ids},
                             {"SecurityGroupIds", cfg.security_group_ids}};
    return impl_->call("POST", api_prefix, "", body.dump(), {200, 201}).body;
}

std::string lambda_client::get_function_configuration(const std::string& name) {
    return impl_->call("GET", function_path(name) + "/configuration", "", "", {200}).body;
}

std::string lambda_client::update_function_configuration(const std::string& name,
                                                         const std::string& json_text) {
    return impl_->call("PUT", function_path(name) + "/configuration", "", json_text, {200}).body;
}

std::string lambda_client::update_function_code(const std::string& name,
                                                const std::vector<std::uint8_t>& zip,
                                                const std::string& architecture) {
    json body = {{"ZipFile", common::base64_encode(std::string_view(
                                 reinterpret_cast<const char*>(zip.data()), zip.size()))}};
    if (!architecture.empty()) body["Architectures"] = json::array({architecture});
    return impl_->call("PUT", function_path(name) + "/code", "", body.dump(), {200}).body;
}

void lambda_client::delete_function(const std::string& name) {
    impl_->call("DELETE", function_path(name), "", "", {200, 202, 204});
}

std::string lambda_client::list_functions() {
    // ListFunctions pages (50 per page on AWS); follow NextMarker and hand back one list.
    json all = {{"Functions", json::array()}};
    std::string marker;
    for (int page = 0; page < 10000; ++page) {
        const std::string query =
            marker.empty() ? "" : "Marker=" + sigv4::uri_encode(marker, false);
        const auto r = impl_->call("GET", std::string(api_prefix) + "/", query, "", {200});
        const json body = json::parse(r.body, nullptr, false);
        if (!body.is_object())
            throw std::runtime_error("list_functions: response is not a JSON object: " +
                                     r.body.substr(0, 200));
        if (auto f = body.find("Functions"); f != body.end() && f->is_array())
            for (const auto& fn : *f) all["Functions"].push_back(fn);
        const auto next = body.find("NextMarker");
        if (next == body.end() || !next->is_string() || next->get<std::string>().empty()) break;
        marker = next->get<std::string>();
    }
    return all.dump();
}

namespace {
std::string tags_path(const std::string& arn) {
    if (arn.empty()) throw std::invalid_argument("lambda_client: empty resource ARN");
    return "/2017-03-31/tags/" + sigv4::uri_encode(arn, false);
}
}  // namespace

std::map<std::string, std::string> lambda_client::list_tags(const std::string& arn) {
    const auto r = impl_->call("GET", tags_path(arn), "", "", {200});
    const json body = json::parse(r.body, nullptr, false);
    std::map<std::string, std::string> out;
    if (!body.is_object()) throw std::runtime_error("list_tags: response is not a JSON object");
    if (auto t = body.find("Tags"); t != body.end() && t->is_object())
        for (const auto& [k, v] : t->items())
            if (v.is_string()) out[k] = v.get<std::string>();
    return out;
}

void lambda_client::tag_resource(const std::string& arn,
                                 const std::map<std::string, std::string>& tags) {
    impl_->call("POST", tags_path(arn), "", json{{"Tags", tags}}.dump(), {200, 204});
}

void lambda_client::untag_resource(const std::string& arn, const std::vector<std::string>& keys) {
    // Sorted: the query string is signed in canonical order, and sent the same way.
    std::vector<std::string> sorted(keys.begin(), keys.end());
    std::sort(sorted.begin(), sorted.end());
    std::string query;
    for (const auto& k : sorted)
        query += (query.empty() ? "" : "&") + std::string("tagKeys=") + sigv4::uri_encode(k, false);
    impl_->call("DELETE", tags_path(arn), query, "", {200, 204});
}

std::vector<std::string> lambda_client::functions_tagged(const std::string& key,
                                                         const std::string& value) {
    std::vector<std::string> out;
    const json all = json::parse(list_functions());
    for (const auto& fn : all["Functions"]) {
        if (!fn.is_object() || !fn.contains("FunctionArn") || !fn["FunctionArn"].is_string())
            continue;
        const auto tags = list_tags(fn["FunctionArn"].get<std::string>());
        if (auto it = tags.find(key); it != tags.end() && it->second == value)
            out.push_back(fn.value("FunctionName", ""));
    }
    return out;
}

invoke_result lambda_client::invoke(const std::string& name, const std::string& payload,
                                    bool tail_log, const std::string& invocation_type) {
    if (invocation_type != "RequestResponse" && invocation_type != "Event" &&
        invocation_type != "DryRun")
        throw std::invalid_argument("invoke: invocation type '" + invocation_type +
                                    "' is not RequestResponse, Event or DryRun");
    std::vector<sigv4::header> headers{{"X-Amz-Invocation-Type", invocation_type}};
    // Only a synchronous invocation has a log tail to return.
    if (tail_log && invocation_type == "RequestResponse")
        headers.push_back({"X-Amz-Log-Type", "Tail"});
    http_response r =
        impl_->send("POST", function_path(name) + "/invocations", "", payload, std::move(headers));
    if (r.status != 200 && r.status != 202 && r.status != 204) throw json_error(r);
    invoke_result out;
    out.status = static_cast<int>(r.status);
    out.payload = std::move(r.body);
    out.round_trip = r.round_trip;
    if (auto it = r.headers.find("x-amzn-requestid"); it != r.headers.end())
        out.request_id = it->second;
    if (auto it = r.headers.find("x-amz-executed-version"); it != r.headers.end())
        out.executed_version = it->second;
    if (auto it = r.headers.find("x-amz-function-error"); it != r.headers.end())
        out.function_error = it->second;
    if (auto it = r.headers.find("x-lambench-model"); it != r.headers.end())
        out.lambench_model = it->second;
    if (auto it = r.headers.find("x-amz-log-result");
        it != r.headers.end() && !it->second.empty()) {
        auto tail = common::base64_decode(it->second);
        if (!tail) throw std::runtime_error("invoke: X-Amz-Log-Result is not valid base64");
        out.log_tail = std::move(*tail);
    }
    return out;
}

namespace {

std::uint32_t be32(std::string_view s, std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) << 24 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

struct stream_event {
    std::string event_type;
    std::string_view payload;
};

// The AWS event-stream framing: lengths, both CRC32s and the string headers checked.
std::vector<stream_event> decode_event_stream(std::string_view body) {
    std::vector<stream_event> out;
    while (!body.empty()) {
        if (body.size() < 16) throw std::runtime_error("event stream: truncated message");
        const std::uint32_t total = be32(body, 0), hlen = be32(body, 4);
        if (common::crc32(body.substr(0, 8)) != be32(body, 8))
            throw std::runtime_error("event stream: prelude CRC mismatch");
        if (total < 16 || total > body.size() || hlen > total - 16)
            throw std::runtime_error("event stream: bad message lengths");
        if (common::crc32(body.substr(0, total - 4)) != be32(body, total - 4))
            throw std::runtime_error("event stream: message CRC mismatch");
        stream_event e;
        std::string_view h = body.substr(12, hlen);
        while (!h.empty()) {
            const std::size_t nlen = static_cast<unsigned char>(h[0]);
            if (h.size() < 1 + nlen + 3 || h[1 + nlen] != 7)
                throw std::runtime_error("event stream: unexpected header");
            std::string_view name = h.substr(1, nlen);
            const std::size_t vlen =
                static_cast<std::size_t>(static_cast<unsigned char>(h[2 + nlen])) << 8 |
                static_cast<unsigned char>(h[3 + nlen]);
            if (h.size() < 4 + nlen + vlen) throw std::runtime_error("event stream: bad header");
            if (name == ":event-type") e.event_type = std::string(h.substr(4 + nlen, vlen));
            h.remove_prefix(4 + nlen + vlen);
        }
        e.payload = body.substr(12 + hlen, total - 16 - hlen);
        out.push_back(e);
        body.remove_prefix(total);
    }
    return out;
}

}  // namespace

invoke_result lambda_client::invoke_stream(const std::string& name, const std::string& payload,
                                           bool tail_log) {
    std::vector<sigv4::header> headers{{"X-Amz-Invocation-Type", "RequestResponse"}};
    if (tail_log) headers.push_back({"X-Amz-Log-Type", "Tail"});
    if (name.empty()) throw std::invalid_argument("lambda_client: empty function name");
    // InvokeWithResponseStream has an API version of its own.
    http_response r = impl_->send("POST",
                                  "/2021-11-15/functions/" + sigv4::uri_encode(name, false) +
                                      "/response-streaming-invocations",
                                  "", payload, std::move(headers));
    if (r.status != 200) throw json_error(r);
    invoke_result out;
    out.status = static_cast<int>(r.status);
    out.round_trip = r.round_trip;
    out.first_byte = r.first_byte;
    if (auto it = r.headers.find("x-amzn-requestid"); it != r.headers.end())
        out.request_id = it->second;
    if (auto it = r.headers.find("x-amz-executed-version"); it != r.headers.end())
        out.executed_version = it->second;
    if (auto it = r.headers.find("x-lambench-model"); it != r.headers.end())
        out.lambench_model = it->second;
    bool complete = false;
    for (const auto& e : decode_event_stream(r.body)) {
        if (e.event_type == "PayloadChunk") {
            out.payload += e.payload;
        } else if (e.event_type == "InvokeComplete") {
            complete = true;
            const json j = json::parse(e.payload, nullptr, false);
            if (!j.is_object()) throw std::runtime_error("InvokeComplete is not a JSON object");
            if (auto code = j.value("ErrorCode", std::string()); !code.empty()) {
                out.function_error = code;
                out.payload = j.value("ErrorDetails", std::string());
            }
            if (auto log = j.value("LogResult", std::string()); !log.empty()) {
                auto tail = common::base64_decode(log);
                if (!tail) throw std::runtime_error("InvokeComplete: LogResult is not base64");
                out.log_tail = std::move(*tail);
            }
        }
    }
    if (!complete) throw std::runtime_error("event stream ended without InvokeComplete");
    return out;
}

std::string lambda_client::wait_until_active(const std::string& name,
                                             std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::milliseconds(100);
    for (;;) {
        std::string text = get_function_configuration(name);
        const json cfg = json::parse(text, nullptr, false);
        // A service that does not report State (older local services) is taken as Active.
        const std::string state = cfg.is_object() ? cfg.value("State", "Active") : "Active";
        const std::string update =
            cfg.is_object() ? cfg.value("LastUpdateStatus", "Successful") : "Successful";
        if (state == "Failed" || update == "Failed") {
            const std::string reason =
                cfg.value(state == "Failed" ? "StateReason" : "LastUpdateStatusReason", "");
            throw api_error(0, "FunctionFailed",
                            name + ": " + (reason.empty() ? "state Failed" : reason));
        }
        if (state == "Active" && update != "InProgress") return text;
        if (std::chrono::steady_clock::now() + pause > deadline) {
            std::string msg = "wait_until_active: ";
            msg.append(name).append(" still ").append(state).append("/").append(update);
            msg.append(" after ").append(std::to_string(timeout.count())).append(" ms");
            throw std::runtime_error(msg);
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(2000));
    }
}

}  // namespace lambench::aws
