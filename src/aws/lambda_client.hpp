// A client of the Lambda REST API (2015-03-31): real AWS (SigV4-signed HTTPS) or a local
// `lambench serve` endpoint — same wire format. Used by `lambench invoke` and the driver.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lambench::aws {

struct credentials {
    std::string access_key_id, secret_access_key, session_token;
};
// Environment (AWS_ACCESS_KEY_ID...), then ~/.aws/credentials [AWS_PROFILE or default].
std::optional<credentials> load_credentials();

// A service error answered by the API (X-Amzn-ErrorType + JSON body).
struct api_error : std::runtime_error {
    api_error(int status_, std::string type_, const std::string& message)
        : std::runtime_error(type_ + ": " + message), status(status_), type(std::move(type_)) {}
    int status;
    std::string type;  // e.g. ResourceNotFoundException
};

struct function_config {
    std::string name, runtime = "provided.al2023", handler = "bootstrap", architecture = "x86_64";
    std::string role = "arn:aws:iam::000000000000:role/lambench";
    int memory_mb = 128, timeout_s = 3;
    std::map<std::string, std::string> environment;
};

struct invoke_result {
    int status = 0;                 // 200, 202, 204
    std::string payload;            // response body
    std::string function_error;     // X-Amz-Function-Error ("Unhandled") or empty
    std::string log_tail;           // decoded X-Amz-Log-Result (when log tail requested)
    std::chrono::nanoseconds round_trip{};  // client-side, request written -> body read
};

class lambda_client {
public:
    // endpoint: "http://127.0.0.1:9000" (local) or empty for https://lambda.<region>.amazonaws.com
    lambda_client(std::string endpoint, std::string region, std::optional<credentials> creds);
    ~lambda_client();
    lambda_client(const lambda_client&) = delete;
    lambda_client& operator=(const lambda_client&) = delete;

    std::string create_function(const function_config& cfg, const std::vector<std::uint8_t>& zip);
    std::string get_function_configuration(const std::string& name);  // JSON text
    std::string update_function_configuration(const std::string& name, const std::string& json);
    std::string update_function_code(const std::string& name, const std::vector<std::uint8_t>& zip);
    void delete_function(const std::string& name);
    std::string list_functions();  // JSON text
    invoke_result invoke(const std::string& name, const std::string& payload,
                         bool tail_log = true, const std::string& invocation_type = "RequestResponse");

private:
    struct impl;
    impl* impl_;
};

}  // namespace lambench::aws
