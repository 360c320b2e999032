#include "aws/lambda_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "aws/credentials.hpp"
#include "aws/sigv4.hpp"
#include "common/base64.hpp"

namespace lambench::aws {
namespace {

using json = nlohmann::json;
constexpr const char* api_prefix = "/2015-03-31/functions";

struct http_response {
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-cased names
    std::string body;
    std::chrono::nanoseconds round_trip{};
};

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
    auto& headers = *static_cast<std::map<std::string, std::string>*>(user);
    const std::string_view line(data, size * n);
    if (line.starts_with("HTTP/")) {
        headers.clear();  // a new response (after 100 Continue or a redirect) starts over
    } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
        auto [it, fresh] = headers.try_emplace(lower(std::string(line.substr(0, colon))));
        if (!fresh) it->second += ", ";
        it->second += trim(line.substr(colon + 1));
    }
    return size * n;
}

std::string function_path(const std::string& name) {
    if (name.empty()) throw std::invalid_argument("lambda_client: empty function name");
    // ':' of "name:qualifier" and of ARNs travels percent-encoded, as the AWS SDKs send it.
    return std::string(api_prefix) + '/' + sigv4::uri_encode(name, false);
}

api_error to_api_error(const http_response& r) {
    std::string type, message;
    if (auto it = r.headers.find("x-amzn-errortype"); it != r.headers.end())
        type = it->second.substr(0, it->second.find(':'));  // "Code:http://internal.amazon.com/..."
    const json body = json::parse(r.body, nullptr, false);
    if (body.is_object()) {
        for (const char* key : {"message", "Message", "errorMessage"})
            if (auto m = body.find(key); m != body.end() && m->is_string()) {
                message = m->get<std::string>();
                break;
            }
        if (type.empty())
            if (auto t = body.find("__type"); t != body.end() && t->is_string()) {
                type = t->get<std::string>();
                type = type.substr(type.find('#') == std::string::npos ? 0 : type.find('#') + 1);
                type = type.substr(0, type.find(':'));
            }
    }
    if (type.empty()) type = "HTTP" + std::to_string(r.status);
    if (message.empty())
        message =
            r.body.empty() ? "HTTP status " + std::to_string(r.status) : r.body.substr(0, 512);
    return api_error(static_cast<int>(r.status), type, message);
}

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            throw std::runtime_error("lambda_client: curl_global_init failed");
    });
}

}  // namespace

struct lambda_client::impl {
    std::string endpoint, region, host, base_path;
    credentials creds;
    CURL* curl = nullptr;
    std::string no_proxy;
    char errbuf[CURL_ERROR_SIZE]{};

    impl(std::string endpoint_in, std::string region_in, std::optional<credentials> creds_in)
        : region(region_in.empty() ? default_region() : std::move(region_in)) {
        const bool aws = endpoint_in.empty();
        endpoint = aws ? default_endpoint(region) : std::move(endpoint_in);
        while (endpoint.size() > 1 && endpoint.back() == '/') endpoint.pop_back();
        const auto scheme_end = endpoint.find("://");
        const std::string scheme =
            scheme_end == std::string::npos ? "" : lower(endpoint.substr(0, scheme_end));
        if (scheme != "http" && scheme != "https")
            throw std::invalid_argument("lambda_client: endpoint '" + endpoint +
                                        "' must start with http:// or https://");
        const std::string rest = endpoint.substr(scheme_end + 3);
        const auto slash = rest.find('/');
        host = lower(rest.substr(0, slash));
        base_path = slash == std::string::npos ? "" : rest.substr(slash);
        if (host.empty())
            throw std::invalid_argument("lambda_client: endpoint '" + endpoint + "' has no host");
        if (creds_in) {
            creds = std::move(*creds_in);
        } else if (aws) {
            throw std::runtime_error(
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
                "AWS_SESSION_TOKEN), or add them to ~/.aws/credentials [default or $AWS_PROFILE]");
        } else {
            // The local service checks that requests are signed, not by whom.
            creds = {"AKIDLAMBENCHLOCAL", "lambench-local-secret", ""};
        }
        global_init();
        curl = curl_easy_init();
        if (!curl) throw std::runtime_error("lambda_client: curl_easy_init failed");
        // libcurl honours http_proxy/https_proxy; a CI proxy must not swallow requests to the
        // local service, so loopback always bypasses it (on top of the user's no_proxy).
        no_proxy = "localhost,127.0.0.1,::1";
        for (const char* var : {"no_proxy", "NO_PROXY"})
            if (const char* v = std::getenv(var); v && *v) {
                no_proxy += ',';
                no_proxy += v;
                break;
            }
    }
    ~impl() { curl_easy_cleanup(curl); }
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    http_response send(const std::string& method, const std::string& path, const std::string& query,
                       const std::string& body, std::vector<sigv4::header> headers = {}) {
        sigv4::request req;
        req.method = method;
        req.path = base_path + path;
        req.query = query;
        req.body = body;
        req.headers.push_back({"Host", host});
        if (method == "POST" || method == "PUT")
            req.headers.push_back({"Content-Type", "application/json"});
        for (auto& h : headers) req.headers.push_back(std::move(h));
        sigv4::params p;
        p.creds = creds;
        p.region = region;
        p.service = "lambda";
        const sigv4::result signed_req = sigv4::sign(req, p);

        struct slist_owner {
            curl_slist* list = nullptr;
            ~slist_owner() { curl_slist_free_all(list); }
            void add(const std::string& line) {
                curl_slist* next = curl_slist_append(list, line.c_str());
                if (!next) throw std::runtime_error("lambda_client: curl_slist_append failed");
                list = next;
            }
        } slist;
        for (const auto& h : req.headers) slist.add(h.name + ": " + h.value);
        for (const auto& h : signed_req.add_headers) slist.add(h.name + ": " + h.value);
        slist.add("Expect:");  // no 100-continue round trip before a large zip upload
        slist.add("Accept: application/json");

        const std::string url = endpoint.substr(0, endpoint.size() - base_path.size()) + req.path +
                                (query.empty() ? "" : "?" + query);
        http_response r;
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);  // resets the method left by the last request
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
        if (method == "POST" || method == "PUT") {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(body.size()));
        }
        if (method != "GET" && method != "POST")
            curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, slist.list);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "lambench/0.1");
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
        // The longest Lambda timeout is 900 s; past that with margin, the peer is stuck.
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 930000L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_NOPROXY, no_proxy.c_str());
        errbuf[0] = '\0';

        const auto t0 = std::chrono::steady_clock::now();
        const CURLcode rc = curl_easy_perform(curl);
        const auto wall = std::chrono::steady_clock::now() - t0;
        if (rc != CURLE_OK)
            throw std::runtime_error(
                "lambda_client: " + method + " " + url + ": " + curl_easy_strerror(rc) +
                (errbuf[0] ? std::string(" (") + errbuf + ")" : std::string{}));
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
        // Round trip = request about to be written -> last body byte read: total minus the
        // pre-transfer part, so a (re)connect or TLS handshake is not billed to the function.
        curl_off_t total_us = 0, pre_us = 0;
        if (curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK &&
            curl_easy_getinfo(curl, CURLINFO_PRETRANSFER_TIME_T, &pre_us) == CURLE_OK &&
            total_us > pre_us)
            r.round_trip = std::chrono::microseconds(total_us - pre_us);
        else
            r.round_trip = std::chrono::duration_cast<std::chrono::nanoseconds>(wall);
        return r;
    }

    http_response call(const std::string& method, const std::string& path, const std::string& query,
                       const std::string& body, std::initializer_list<long> ok) {
        // Control-plane calls are rate-limited on AWS (TooManyRequestsException, 429); a
        // deploy should wait and go on rather than abort a long run. Invocations are never
        // retried here: a throttled sample is a result the caller must see.
        for (int attempt = 1;; ++attempt) {
            http_response r = send(method, path, query, body);
            if (std::find(ok.begin(), ok.end(), r.status) != ok.end()) return r;
            if (r.status != 429 || attempt >= max_attempts) throw to_api_error(r);
            std::this_thread::sleep_for(retry_delay(r, attempt));
        }
    }

    static constexpr int max_attempts = 4;
    static std::chrono::milliseconds retry_delay(const http_response& r, int attempt) {
        double seconds = 0.2 * attempt;  // without a Retry-After: 0.2, 0.4, 0.6 s
        if (auto it = r.headers.find("retry-after"); it != r.headers.end()) {
            try {
                seconds = std::stod(it->second);
            } catch (const std::exception&) {
                // an HTTP date or garbage: keep the default
            }
        }
        seconds = std::clamp(seconds, 0.05, 10.0);
        return std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    }
};

lambda_client::lambda_client(std::string endpoint, std::string region,
                             std::optional<credentials> creds)
    : impl_(std::make_unique<impl>(std::move(endpoint), std::move(region), std::move(creds))) {}
lambda_client::~lambda_client() = default;
lambda_client::lambda_client(lambda_client&&) noexcept = default;
lambda_client& lambda_client::operator=(lambda_client&&) noexcept = default;

const std::string& lambda_client::endpoint() const {
    return impl_->endpoint;
}
const std::string& lambda_client::region() const {
    return impl_->region;
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
                                                const std::vector<std::uint8_t>& zip) {
    const json body = {{"ZipFile", common::base64_encode(std::string_view(
                                       reinterpret_cast<const char*>(zip.data()), zip.size()))}};
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
    if (r.status != 200 && r.status != 202 && r.status != 204) throw to_api_error(r);
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
