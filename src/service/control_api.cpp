#include <climits>
#include <cmath>
#include <initializer_list>
#include <string_view>

#include "common/base64.hpp"
#include "errors.hpp"
#include "json_text.hpp"
#include "lambda_api.hpp"
#include "logs.hpp"
#include "memory_meter.hpp"
#include "util.hpp"

namespace lambench::service {

using json = nlohmann::json;
namespace bhttp = http::bhttp;

namespace {

constexpr std::string_view functions_prefix = "/2015-03-31/functions";
constexpr std::string_view streaming_prefix = "/2021-11-15/functions";

json parse_body(const http::request& req) {
    if (req.body().empty()) return json::object();
    auto j = json::parse(req.body(), nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw invalid_content("Could not parse request body into json: not a JSON object");
    return j;
}

std::string string_field(const json& j, const char* key, bool required) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        if (required) throw invalid_parameter(std::string(key) + " is required");
        return {};
    }
    if (!it->is_string()) throw invalid_parameter(std::string(key) + " must be a string");
    return it->get<std::string>();
}

// An integer field checked by `validate`. A number beyond long long (2^63 arrives as an unsigned,
// 1e30 as a double) is out of every range: it is reported as the client wrote it, not as the value
// it would wrap to.
std::optional<int> int_field(const json& j, const char* key,
                             std::string (*validate)(long long, std::string_view)) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (it->is_number_unsigned() && it->get<unsigned long long>() > LLONG_MAX)
        throw invalid_parameter(validate(LLONG_MAX, json_text(*it)));
    if (it->is_number_float()) {
        double d = it->get<double>();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) >= 0x1p63)
            throw invalid_parameter(validate(d < 0 ? LLONG_MIN : LLONG_MAX, json_text(*it)));
    }
    if (!it->is_number_integer()) throw invalid_parameter(std::string(key) + " must be an integer");
    auto v = it->get<long long>();
    if (auto e = validate(v, {}); !e.empty()) throw invalid_parameter(e);
    return static_cast<int>(v);
}

std::map<std::string, std::string> environment_field(const json& j) {
    std::map<std::string, std::string> out;
    auto it = j.find("Environment");
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_object()) throw invalid_parameter("Environment must be an object");
    auto vars = it->find("Variables");
    if (vars == it->end() || vars->is_null()) return out;
    if (!vars->is_object()) throw invalid_parameter("Environment.Variables must be an object");
    for (auto& [k, v] : vars->items()) {
        if (!v.is_string())
            throw invalid_parameter("Environment.Variables." + k + " must be a string");
        if (auto e = validate_environment_name(k); !e.empty()) throw invalid_parameter(e);
        out[k] = v.get<std::string>();
    }
    if (auto e = validate_environment_keys(out); !e.empty()) throw invalid_parameter(e);
    return out;
}

// EphemeralStorage: {"Size": MB}; nullopt when absent.
std::optional<int> ephemeral_field(const json& j) {
    auto it = j.find("EphemeralStorage");
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_object()) throw invalid_parameter("EphemeralStorage must be an object");
    auto size = int_field(
        *it, "Size", [](long long mb, std::string_view) { return validate_ephemeral_storage(mb); });
    if (!size) throw invalid_parameter("EphemeralStorage.Size is required");
    return *size;
}

// LoggingConfig of a create or an update, applied to spec over what it had. Lambda's values:
// LogFormat Text|JSON; the log levels only with JSON (INFO when not given); LogGroup a name of
// 1..512 characters of [.-_/#A-Za-z0-9].
void apply_logging_config(const json& j, function_spec& spec) {
    auto it = j.find("LoggingConfig");
    if (it == j.end() || it->is_null()) return;
    if (!it->is_object()) throw invalid_parameter("LoggingConfig must be an object");
    auto one_of = [](const std::string& v, std::initializer_list<std::string_view> allowed) {
        for (auto a : allowed)
            if (v == a) return true;
        return false;
    };
    const std::string format = string_field(*it, "LogFormat", false);
    if (!format.empty()) {
        if (!one_of(format, {"Text", "JSON"}))
            throw invalid_parameter("LoggingConfig.LogFormat must be Text or JSON, got '" + format +
                                    "'");
        spec.log_format = format;
    }
    const std::string app = string_field(*it, "ApplicationLogLevel", false);
    if (!app.empty() && !one_of(app, {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}))
        throw invalid_parameter(
            "LoggingConfig.ApplicationLogLevel must be TRACE, DEBUG, INFO, WARN, ERROR or FATAL, "
            "got '" +
            app + "'");
    const std::string sys = string_field(*it, "SystemLogLevel", false);
    if (!sys.empty() && !one_of(sys, {"DEBUG", "INFO", "WARN"}))
        throw invalid_parameter("LoggingConfig.SystemLogLevel must be DEBUG, INFO or WARN, got '" +
                                sys + "'");
    if (it->contains("LogGroup")) {
        const std::string group = string_field(*it, "LogGroup", false);
        if (group.empty() || group.size() > 512 ||
            group.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789._-/#") != std::string::npos)
            throw invalid_parameter(
                "LoggingConfig.LogGroup must have 1 to 512 characters of A-Z a-z 0-9 . _ - / #");
        spec.log_group = group;
    }
    if (spec.log_format != "JSON") {
        if (!app.empty() || !sys.empty())
            throw invalid_parameter(
                "LoggingConfig: ApplicationLogLevel and SystemLogLevel can be set only with "
                "LogFormat JSON");
        spec.application_log_level.clear();
        spec.system_log_level.clear();
        return;
    }
    if (!app.empty()) spec.application_log_level = app;
    if (!sys.empty()) spec.system_log_level = sys;
    if (spec.application_log_level.empty()) spec.application_log_level = "INFO";
    if (spec.system_log_level.empty()) spec.system_log_level = "INFO";
}

// Layers: the local service has no layers to fetch (they live in S3 of the publishing account),
// so a function that names any is refused rather than run without them. An empty list is fine.
void check_layers(const json& j) {
    auto it = j.find("Layers");
    if (it == j.end() || it->is_null()) return;
    if (!it->is_array()) throw invalid_parameter("Layers must be a list of layer version ARNs");
    if (!it->empty())
        throw invalid_parameter(
            "Layers: the local service cannot fetch layers; put the layer's files into the "
            "deployment package instead");
}

std::string zipfile_field(const json& code) {
    if (!code.is_object()) throw invalid_parameter("Code must be an object");
    if (code.contains("S3Bucket") || code.contains("ImageUri"))
        throw invalid_parameter("Code: only Code.ZipFile is supported by the local service");
    auto z = code.find("ZipFile");
    if (z == code.end() || !z->is_string()) throw invalid_parameter("Code.ZipFile is required");
    const auto& text = z->get_ref<const std::string&>();
    if (text.size() > max_zip_base64)
        throw api_error(413, "RequestTooLargeException",
                        "Code.ZipFile: the zip file exceeds the 50 MB direct upload limit");
    auto bytes = common::base64_decode(text, common::base64_mode::lenient);
    if (!bytes) throw invalid_parameter("Code.ZipFile is not valid base64");
    // libzip reads zero bytes as an archive with no entries; Lambda cannot unzip it.
    if (bytes->empty())
        throw invalid_parameter("Code.ZipFile is empty: could not unzip the uploaded file");
    return std::move(*bytes);
}

}  // namespace

std::string resolve_function_name(const std::string& segment, const std::string& qualifier_q,
                                  const std::string& region) {
    std::string s = url_decode(segment);
    std::string name, qualifier = qualifier_q, arn_region, account;
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        auto colon = s.find(':', start);
        parts.push_back(s.substr(start, colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    if (parts.size() >= 7 && parts[0] == "arn") {  // arn:aws:lambda:region:acct:function:name[:q]
        if (parts[2] != "lambda" || parts[5] != "function" || parts.size() > 8)
            throw invalid_parameter("FunctionName: malformed ARN '" + s + "'");
        arn_region = parts[3];
        account = parts[4];
        name = parts[6];
        if (parts.size() == 8) qualifier = parts[7];
    } else if (parts.size() >= 3 && parts[1] == "function") {  // acct:function:name[:q]
        account = parts[0];
        name = parts[2];
        if (parts.size() == 4) qualifier = parts[3];
    } else if (parts.size() <= 2) {
        name = parts[0];
        if (parts.size() == 2) qualifier = parts[1];
    } else {
        throw invalid_parameter("FunctionName: malformed name '" + s + "'");
    }
    if (!validate_function_name(name).empty())
        throw invalid_parameter("FunctionName: invalid name '" + name + "'");
    // As Lambda answers: another region's function is not found here (404, its wording); another
    // account's is not this caller's to use (403; there is one account, local_account).
    if (!arn_region.empty() && arn_region != region)
        throw not_found("Functions from '" + arn_region + "' are not reachable in this region ('" +
                        region + "')");
    if (!account.empty() && account != local_account)
        throw api_error(403, "AccessDeniedException",
                        "FunctionName '" + s + "' belongs to account " + account +
                            "; this service has only account " + local_account);
    if (!qualifier.empty() && qualifier != "$LATEST")
        throw not_found("Function not found: arn:aws:lambda:" + region + ":" + local_account +
                        ":function:" + name + ":" + qualifier + " (only $LATEST exists locally)");
    return name;
}

lambda_api::lambda_api(registry& reg, scheduler& sched, const service_config& cfg, bool partial)
    : registry_(reg), scheduler_(sched), cfg_(cfg), partial_model_(partial) {
    isolation_.note = "not set up";
}

json lambda_api::configuration_json(const function_record& f) const {
    json env = json::object();
    for (auto& [k, v] : f.spec.environment) env[k] = v;
    json out{
        {"FunctionName", f.spec.name},
        {"FunctionArn", f.arn},
        {"Runtime", f.spec.runtime},
        {"Role", f.spec.role},
        {"Handler", f.spec.handler},
        {"CodeSize", f.code_size},
        {"Description", f.spec.description},
        {"Timeout", f.spec.timeout_s},
        {"MemorySize", f.spec.memory_mb},
        {"LastModified", f.last_modified},
        {"CodeSha256", f.code_sha256},
        {"Version", "$LATEST"},
        {"Environment", {{"Variables", env}}},
        {"TracingConfig", {{"Mode", "PassThrough"}}},
        {"RevisionId", std::to_string(f.generation)},
        {"PackageType", "Zip"},
        {"Architectures", json::array({f.spec.architecture})},
        {"EphemeralStorage", {{"Size", f.spec.ephemeral_mb}}},
        // As Lambda returns them for a function with none of these features (no SnapStart, the
        // runtime's current version, no layers: Layers is then absent).
        {"SnapStart", {{"ApplyOn", "None"}, {"OptimizationStatus", "Off"}}},
        {"RuntimeVersionConfig",
         {{"RuntimeVersionArn", runtime_version_arn(f.spec.runtime, cfg_.region)}}},
    };
    json logging{
        {"LogFormat", f.spec.log_format},
        {"LogGroup", f.spec.log_group.empty() ? "/aws/lambda/" + f.spec.name : f.spec.log_group}};
    if (f.spec.log_format == "JSON") {
        logging["ApplicationLogLevel"] = f.spec.application_log_level;
        logging["SystemLogLevel"] = f.spec.system_log_level;
    }
    out["LoggingConfig"] = std::move(logging);
    add_lifecycle_fields(out, f);
    return out;
}

void lambda_api::send_json(const http::responder& reply, int status, const json& body) const {
    http::response res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, "application/json");
    res.set("x-amzn-RequestId", new_request_id());
    res.body() = json_text(body);
    reply.send(std::move(res));
}

void lambda_api::check_runtime(const std::string& runtime) const {
    if (is_provided_runtime(runtime) || cfg_.launchers.count(runtime)) return;
    throw invalid_parameter("Runtime: unsupported runtime '" + runtime +
                            "' (provided, provided.al2, provided.al2023, or a runtime with a "
                            "launcher in [service.launchers])");
}

void lambda_api::handle(http::request&& req, const http::responder& reply) {
    if (draining_) {
        api_error e(503, "ServiceException",
                    "the service is shutting down; queued events are saved and run at its next "
                    "start");
        e.retry_after_s = 1;
        throw e;
    }
    std::string_view target(req.target().data(), req.target().size());
    std::string query;
    if (auto q = target.find('?'); q != std::string_view::npos) {
        query = std::string(target.substr(q + 1));
        target = target.substr(0, q);
    }
    auto method = req.method();
    if (handle_tags(target, query, req, reply)) return;
    if (handle_concurrency(target, req, reply)) return;
    // InvokeWithResponseStream has an API version of its own.
    const bool streaming = target.substr(0, streaming_prefix.size()) == streaming_prefix;
    if (!streaming && target.substr(0, functions_prefix.size()) != functions_prefix)
        throw api_error(404, "UnknownOperationException",
                        "Unknown operation " + std::string(target));
    std::string_view rest =
        target.substr(streaming ? streaming_prefix.size() : functions_prefix.size());
    if (streaming && (rest.empty() || rest == "/"))
        throw api_error(404, "UnknownOperationException",
                        "Unknown operation " + std::string(target));
    if (rest.empty() || rest == "/") {
        if (method == bhttp::verb::post) return create_function(req, reply);
        if (method == bhttp::verb::get) return list_functions(reply);
        throw api_error(405, "UnknownOperationException", "method not allowed");
    }
    rest.remove_prefix(1);
    auto slash = rest.find('/');
    std::string segment(rest.substr(0, slash));
    std::string_view sub =
        slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (!sub.empty() && sub.back() == '/') sub.remove_suffix(1);
    std::string qualifier;
    for (std::size_t pos = 0; pos < query.size();) {
        auto amp = query.find('&', pos);
        std::string kv =
            query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        if (kv.rfind("Qualifier=", 0) == 0) qualifier = url_decode(kv.substr(10));
        if (amp == std::string::npos) break;
        pos = amp + 1;
    }
    std::string name = resolve_function_name(segment, qualifier, cfg_.region);
    if (streaming) {
        if (sub == "response-streaming-invocations" && method == bhttp::verb::post)
            return invoke_streaming(name, std::move(req), reply);
        throw api_error(404, "UnknownOperationException",
                        "Unknown operation " + std::string(target));
    }
    if (sub == "invocations" && method == bhttp::verb::post)
        return invoke(name, std::move(req), reply);
    if (sub.empty() && method == bhttp::verb::get) return get_function(name, reply);
    if (sub.empty() && method == bhttp::verb::delete_) return delete_function(name, reply);
    if (sub == "configuration" && method == bhttp::verb::get) return get_configuration(name, reply);
    if (sub == "configuration" && method == bhttp::verb::put)
        return update_configuration(name, req, reply);
    if (sub == "code" && method == bhttp::verb::put) return update_code(name, req, reply);
    if (sub == "lambench-stats" && method == bhttp::verb::get) return stats(name, reply);
    throw api_error(
        404, "UnknownOperationException",
        "Unknown operation " + std::string(req.method_string()) + " " + std::string(target));
}

function_spec lambda_api::spec_from_request(const json& j) const {
    function_spec spec;
    spec.name = string_field(j, "FunctionName", true);
    // An ARN (full or partial) names the function too, when it is of this region and account.
    if (spec.name.find(':') != std::string::npos)
        spec.name = resolve_function_name(spec.name, "", cfg_.region);
    if (auto e = validate_function_name(spec.name); !e.empty()) throw invalid_parameter(e);
    if (auto pt = string_field(j, "PackageType", false); !pt.empty() && pt != "Zip")
        throw invalid_parameter("PackageType: only Zip is supported");
    spec.runtime = string_field(j, "Runtime", true);
    check_runtime(spec.runtime);
    spec.handler = string_field(j, "Handler", !is_provided_runtime(spec.runtime));
    if (spec.handler.empty()) spec.handler = "bootstrap";
    if (auto role = string_field(j, "Role", false); !role.empty()) spec.role = role;
    spec.description = string_field(j, "Description", false);
    if (auto m = int_field(j, "MemorySize", validate_memory)) spec.memory_mb = *m;
    if (auto t = int_field(j, "Timeout", validate_timeout)) spec.timeout_s = *t;
    spec.environment = environment_field(j);
    if (auto e = ephemeral_field(j)) spec.ephemeral_mb = *e;
    if (auto a = j.find("Architectures"); a != j.end() && !a->is_null()) {
        if (!a->is_array() || a->size() != 1 || !(*a)[0].is_string() ||
            ((*a)[0] != "x86_64" && (*a)[0] != "arm64"))
            throw invalid_parameter("Architectures must be [\"x86_64\"] or [\"arm64\"]");
        spec.architecture = (*a)[0].get<std::string>();
    }
    parse_vpc_config(j, spec);
    apply_logging_config(j, spec);
    check_layers(j);
    return spec;
}

// What the function_store keeps: the request's fields (any this build does not model too), with
// the modelled ones set from the spec they produced, so that a restart rebuilds the same spec.
json lambda_api::saved_config(json request, const function_spec& spec) {
    request.erase("Code");
    request.erase("RevisionId");
    request["FunctionName"] = spec.name;
    request["Runtime"] = spec.runtime;
    request["Handler"] = spec.handler;
    request["Role"] = spec.role;
    request["Description"] = spec.description;
    request["MemorySize"] = spec.memory_mb;
    request["Timeout"] = spec.timeout_s;
    json env = json::object();
    for (auto& [k, v] : spec.environment) env[k] = v;
    request["Environment"] = {{"Variables", env}};
    request["Architectures"] = json::array({spec.architecture});
    json logging{{"LogFormat", spec.log_format}};
    if (!spec.log_group.empty()) logging["LogGroup"] = spec.log_group;
    if (!spec.application_log_level.empty())
        logging["ApplicationLogLevel"] = spec.application_log_level;
    if (!spec.system_log_level.empty()) logging["SystemLogLevel"] = spec.system_log_level;
    request["LoggingConfig"] = std::move(logging);
    return request;
}

void lambda_api::create_function(const http::request& req, const http::responder& reply) {
    json j = parse_body(req);
    function_spec spec = spec_from_request(j);
    registry::tag_map tags;
    if (auto t = j.find("Tags"); t != j.end() && !t->is_null()) tags = parse_tags(*t);
    auto code_it = j.find("Code");
    if (code_it == j.end()) throw invalid_parameter("Code is required");
    if (registry_.find(spec.name))
        throw api_error(409, "ResourceConflictException", "Function already exist: " + spec.name);
    code_source code;
    code.zip_bytes = zipfile_field(*code_it);
    j.erase(reserved_concurrency_key);  // set by PutFunctionConcurrency only
    json saved = saved_config(std::move(j), spec);
    auto rec = registry_.create(std::move(spec), code, std::move(saved));
    registry_.tag(rec->spec.name, tags);
    send_json(reply, 201, configuration_json(*rec));
}

void lambda_api::list_functions(const http::responder& reply) {
    json fns = json::array();
    for (auto& f : registry_.list()) fns.push_back(configuration_json(*f));
    send_json(reply, 200, json{{"Functions", fns}});
}

void lambda_api::get_function(const std::string& name, const http::responder& reply) {
    auto f = registry_.get(name);
    json body{{"Configuration", configuration_json(*f)},
              {"Code", {{"RepositoryType", "S3"}, {"Location", "file://" + f->code_dir.string()}}}};
    if (const auto& tags = registry_.tags(name); !tags.empty()) body["Tags"] = tags;
    // As Lambda: present only when the function has a reservation.
    if (auto n = registry_.reserved_concurrency(name))
        body["Concurrency"] = {{"ReservedConcurrentExecutions", *n}};
    send_json(reply, 200, body);
}

bool lambda_api::handle_concurrency(std::string_view target, const http::request& req,
                                    const http::responder& reply) {
    // Put and Delete are of the 2017-10-31 API version, Get of 2019-09-30 (the service model).
    constexpr std::string_view put_prefix = "/2017-10-31/functions/";
    constexpr std::string_view get_prefix = "/2019-09-30/functions/";
    constexpr std::string_view suffix = "/concurrency";
    const bool v2017 = target.substr(0, put_prefix.size()) == put_prefix;
    const bool v2019 = target.substr(0, get_prefix.size()) == get_prefix;
    if (!(v2017 || v2019)) return false;
    std::string_view rest = target.substr(put_prefix.size());  // both prefixes are as long
    if (!rest.ends_with(suffix) || rest.size() == suffix.size())
        throw api_error(
            404, "UnknownOperationException",
            "Unknown operation " + std::string(req.method_string()) + " " + std::string(target));
    rest.remove_suffix(suffix.size());
    const auto method = req.method();
    const bool put = v2017 && method == bhttp::verb::put;
    const bool del = v2017 && method == bhttp::verb::delete_;
    const bool get = v2019 && method == bhttp::verb::get;
    if (!(put || del || get))
        throw api_error(
            404, "UnknownOperationException",
            "Unknown operation " + std::string(req.method_string()) + " " + std::string(target));
    const std::string name = resolve_function_name(std::string(rest), "", cfg_.region);
    registry_.get(name);  // 404 for an unknown function, before the body is looked at
    if (get) {
        json body = json::object();
        if (auto n = registry_.reserved_concurrency(name))
            body["ReservedConcurrentExecutions"] = *n;
        send_json(reply, 200, body);
        return true;
    }
    if (del) {
        registry_.set_reserved_concurrency(name, std::nullopt);
        scheduler_.concurrency_changed(name);
        http::response res{bhttp::status::no_content, 11};
        res.set("x-amzn-RequestId", new_request_id());
        reply.send(std::move(res));
        return true;
    }
    json j = parse_body(req);
    auto n = int_field(j, reserved_concurrency_key, validate_reserved_concurrency);
    if (!n) throw invalid_parameter("ReservedConcurrentExecutions is required");
    // Lambda keeps min_unreserved_concurrency of the account's concurrency for the functions
    // without a reservation.
    if (registry_.reserved_total(name) + *n > account_concurrency - min_unreserved_concurrency)
        throw invalid_parameter(
            "Specified ReservedConcurrentExecutions for function decreases account's "
            "UnreservedConcurrentExecution below its minimum value of [" +
            std::to_string(min_unreserved_concurrency) + "].");
    registry_.set_reserved_concurrency(name, *n);
    scheduler_.concurrency_changed(name);
    send_json(reply, 200, json{{"ReservedConcurrentExecutions", *n}});
    return true;
}

void lambda_api::delete_function(const std::string& name, const http::responder& reply) {
    registry_.remove(name);
    scheduler_.retire(name);
    http::response res{bhttp::status::no_content, 11};
    res.set("x-amzn-RequestId", new_request_id());
    reply.send(std::move(res));
}

void lambda_api::get_configuration(const std::string& name, const http::responder& reply) {
    send_json(reply, 200, configuration_json(*registry_.get(name)));
}

void lambda_api::update_configuration(const std::string& name, const http::request& req,
                                      const http::responder& reply) {
    auto f = registry_.get(name);
    json j = parse_body(req);
    check_can_update(*f);
    function_spec spec = f->spec;
    if (auto m = int_field(j, "MemorySize", validate_memory)) spec.memory_mb = *m;
    if (auto t = int_field(j, "Timeout", validate_timeout)) spec.timeout_s = *t;
    if (j.contains("Environment")) spec.environment = environment_field(j);
    if (auto e = ephemeral_field(j)) spec.ephemeral_mb = *e;
    if (auto h = string_field(j, "Handler", false); !h.empty()) spec.handler = h;
    if (auto r = string_field(j, "Runtime", false); !r.empty()) {
        check_runtime(r);
        spec.runtime = r;
    }
    if (auto r = string_field(j, "Role", false); !r.empty()) spec.role = r;
    if (j.contains("Description")) spec.description = string_field(j, "Description", false);
    parse_vpc_config(j, spec);
    apply_logging_config(j, spec);
    check_layers(j);
    json saved;
    if (!f->api_config.is_null()) {
        saved = f->api_config;
        for (auto& [k, v] : j.items())
            if (k != reserved_concurrency_key) saved[k] = v;
        saved = saved_config(std::move(saved), spec);
    }
    auto rec = registry_.update_config(spec, std::move(saved));
    scheduler_.retire(name);
    send_json(reply, 200, configuration_json(*rec));
}

void lambda_api::update_code(const std::string& name, const http::request& req,
                             const http::responder& reply) {
    auto f = registry_.get(name);
    json j = parse_body(req);
    check_can_update(*f);
    code_source code;
    code.zip_bytes = zipfile_field(j);
    std::string architecture;
    if (auto a = j.find("Architectures"); a != j.end() && !a->is_null()) {
        if (!a->is_array() || a->size() != 1 || !(*a)[0].is_string() ||
            ((*a)[0] != "x86_64" && (*a)[0] != "arm64"))
            throw invalid_parameter("Architectures must be [\"x86_64\"] or [\"arm64\"]");
        architecture = (*a)[0].get<std::string>();
    }
    auto rec = registry_.update_code(name, code);
    if (!architecture.empty() && architecture != rec->spec.architecture) {
        function_spec spec = rec->spec;
        spec.architecture = architecture;
        rec = registry_.update_config(spec);
    }
    scheduler_.retire(name);
    send_json(reply, 200, configuration_json(*rec));
}

void lambda_api::stats(const std::string& name, const http::responder& reply) {
    auto f = registry_.get(name);
    auto v = scheduler_.view(name);
    send_json(reply, 200,
              json{{"FunctionName", name},
                   {"Generation", f->generation},
                   {"Sandboxes", v.sandboxes},
                   {"Idle", v.idle},
                   {"Busy", v.busy},
                   {"Initializing", v.initializing},
                   {"QueuedEvents", v.queued_events},
                   {"Invocations", v.stats.invocations},
                   {"ColdStarts", v.stats.cold_starts},
                   {"Throttles", v.stats.throttles},
                   {"EventsQueued", v.stats.events_queued},
                   {"EventRetries", v.stats.event_retries},
                   {"EventsFailed", v.stats.events_failed},
                   {"ResourceModel", partial_model_ ? "partial" : "full"},
                   {"Cgroups", detect_cgroups().describe()},
                   {"Isolation",
                    {{"Enabled", isolation_.enabled()},
                     {"MountNamespace", isolation_.mount_namespace},
                     {"OwnUser", isolation_.own_user},
                     {"Rlimits", isolation_.rlimits},
                     {"User", isolation_.user},
                     {"Description", isolation_.describe()}}},
                   {"CgroupMode", cgroup_mode_name(detect_cgroups().mode)},
                   // The other halves of the model a result depends on, for the driver to record.
                   {"MaxMemoryUsedDefinition", mmu_definition_version},
                   {"SandboxIsolation", isolation_.enabled() ? "on" : "off"},
                   {"InitCpu", cfg_.init_cpu == init_cpu_mode::full ? "full" : "proportional"},
                   {"Concurrency", cfg_.concurrency}});
}

}  // namespace lambench::service
