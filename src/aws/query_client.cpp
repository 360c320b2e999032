#include "aws/query_client.hpp"

#include <thread>

#include "aws/errors.hpp"
#include "aws/sigv4.hpp"

namespace lambench::aws {
namespace {

constexpr int max_attempts = 5;

template <class Send, class Error>
http_response with_retries(Send send, Error to_error) {
    for (int attempt = 1;; ++attempt) {
        http_response r = send();
        if (r.status >= 200 && r.status < 300) return r;
        const bool retryable = r.status >= 500 || r.status == 429 ||
                               (r.status == 400 && is_throttling(to_error(r).type));
        if (!retryable || attempt >= max_attempts) throw to_error(r);
        std::this_thread::sleep_for(retry_delay(r, attempt));  // 0.2, 0.4, 0.6, 0.8 s
    }
}

}  // namespace

std::string form_encode(const std::string& action, const std::string& version,
                        const query_params& params) {
    std::string out = "Action=" + sigv4::uri_encode(action, false) +
                      "&Version=" + sigv4::uri_encode(version, false);
    for (const auto& [k, v] : params)
        out.append("&")
            .append(sigv4::uri_encode(k, false))
            .append("=")
            .append(sigv4::uri_encode(v, false));
    return out;
}

bool is_throttling(const std::string& code) {
    return code == "Throttling" || code == "ThrottlingException" ||
           code == "RequestLimitExceeded" || code == "RequestThrottled" ||
           code == "TooManyRequestsException" || code == "ThrottledException";
}

query_client::query_client(const service_id& service, std::string api_version, std::string endpoint,
                           std::string region, credentials creds)
    : transport_(std::move(endpoint), std::move(region), service.signing_name, std::move(creds)),
      version_(std::move(api_version)) {}

xml_node query_client::call(const std::string& action, const query_params& params) {
    const std::string body = form_encode(action, version_, params);
    const std::vector<sigv4::header> headers{
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    const http_response r =
        with_retries([&] { return transport_.send("POST", "/", "", body, headers); }, xml_error);
    return parse_xml(r.body);
}

json_client::json_client(const service_id& service, std::string target_prefix, std::string endpoint,
                         std::string region, credentials creds)
    : transport_(std::move(endpoint), std::move(region), service.signing_name, std::move(creds)),
      prefix_(std::move(target_prefix)) {}

nlohmann::json json_client::call(const std::string& operation, const nlohmann::json& body) {
    const std::string text = body.dump();
    const std::vector<sigv4::header> headers{{"Content-Type", "application/x-amz-json-1.1"},
                                             {"X-Amz-Target", prefix_ + "." + operation}};
    const http_response r =
        with_retries([&] { return transport_.send("POST", "/", "", text, headers); }, json_error);
    nlohmann::json out = nlohmann::json::parse(r.body, nullptr, false);
    if (!out.is_object())
        throw std::runtime_error(transport_.service() + " " + operation +
                                 ": the answer is not a JSON object: " + r.body.substr(0, 200));
    return out;
}

}  // namespace lambench::aws
