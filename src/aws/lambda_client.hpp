// A client of the Lambda REST API (2015-03-31): real AWS (SigV4-signed HTTPS) or a local
// `lambench serve` endpoint — same wire format. Used by `lambench invoke` and the driver.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lambench::aws {

struct credentials {
    std::string access_key_id, secret_access_key, session_token;
};
// Environment (AWS_ACCESS_KEY_ID...), then ~/.aws/credentials, then ~/.aws/config
// [AWS_PROFILE or default]; the files can be moved with
// AWS_SHARED_CREDENTIALS_FILE/AWS_CONFIG_FILE.
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
    std::map<std::string, std::string> tags;                  // CreateFunction only
    std::vector<std::string> subnet_ids, security_group_ids;  // VpcConfig, when both are set
};

struct invoke_result {
    int status = 0;                         // 200, 202, 204
    std::string payload;                    // response body
    std::string function_error;             // X-Amz-Function-Error ("Unhandled") or empty
    std::string log_tail;                   // decoded X-Amz-Log-Result (when log tail requested)
    std::chrono::nanoseconds round_trip{};  // client-side, request written -> body read
    // InvokeWithResponseStream: request written -> the answer's first byte (Lambda sends it with
    // the first chunk); zero for Invoke.
    std::chrono::nanoseconds first_byte{};
    std::string request_id;        // x-amzn-RequestId (the RequestId of START/END/REPORT)
    std::string executed_version;  // X-Amz-Executed-Version, e.g. $LATEST
    std::string lambench_model;    // X-Lambench-Model: the local service's resource model, or empty
};

class lambda_client {
  public:
    // endpoint: "http://127.0.0.1:9000" (local) or empty for https://lambda.<region>.amazonaws.com
    // region: empty -> AWS_REGION, AWS_DEFAULT_REGION, else us-east-1.
    // creds: nullopt with a local endpoint signs with dummy keys (the local service accepts any);
    // nullopt against AWS throws std::runtime_error saying how to provide credentials.
    // Transport failures throw std::runtime_error; service errors throw api_error. Control-plane
    // calls retry a 429 (honouring Retry-After, at most 4 attempts); invoke() never retries.
    // Not thread-safe: one client holds one keep-alive connection; use one client per thread.
    lambda_client(std::string endpoint, std::string region, std::optional<credentials> creds);
    ~lambda_client();
    lambda_client(const lambda_client&) = delete;
    lambda_client& operator=(const lambda_client&) = delete;
    lambda_client(lambda_client&&) noexcept;
    lambda_client& operator=(lambda_client&&) noexcept;

    std::string create_function(const function_config& cfg, const std::vector<std::uint8_t>& zip);
    std::string get_function_configuration(const std::string& name);  // JSON text
    std::string update_function_configuration(const std::string& name, const std::string& json);
    // architecture: "x86_64" or "arm64" sends Architectures (empty: the function keeps its own).
    std::string update_function_code(const std::string& name, const std::vector<std::uint8_t>& zip,
                                     const std::string& architecture = {});
    void delete_function(const std::string& name);
    std::string list_functions();  // JSON text
    // Tags of a function, by its ARN (ListTags / TagResource / UntagResource).
    std::map<std::string, std::string> list_tags(const std::string& arn);
    void tag_resource(const std::string& arn, const std::map<std::string, std::string>& tags);
    void untag_resource(const std::string& arn, const std::vector<std::string>& keys);
    // Names of the functions whose tag `key` is `value` (ListFunctions, then ListTags on each):
    // how a deployer finds what it created, e.g. key "lambench:stack".
    std::vector<std::string> functions_tagged(const std::string& key, const std::string& value);
    invoke_result invoke(const std::string& name, const std::string& payload, bool tail_log = true,
                         const std::string& invocation_type = "RequestResponse");
    // InvokeWithResponseStream: the event stream read to its end; payload = the chunks joined,
    // function_error = InvokeComplete's ErrorCode (payload then = ErrorDetails), log_tail from
    // its LogResult. Throws std::runtime_error on a malformed stream (lengths, CRC32s).
    invoke_result invoke_stream(const std::string& name, const std::string& payload,
                                bool tail_log = true);

    // Real Lambda creates and updates asynchronously (State Pending, LastUpdateStatus
    // InProgress); invoking then fails with ResourceConflictException. Polls the configuration
    // until State is Active and no update is in progress; returns its JSON. Throws api_error
    // (State Failed: type "FunctionFailed") or std::runtime_error on timeout.
    std::string wait_until_active(const std::string& name,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(120));

    // Attempts of a control-plane call that is answered 429 (default 4; 1 = no retry, for a
    // caller that retries and counts throttles itself).
    void set_control_plane_attempts(int attempts);

    const std::string& endpoint() const;  // resolved, e.g. https://lambda.us-east-1.amazonaws.com
    const std::string& region() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace lambench::aws
