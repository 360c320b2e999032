// Where functions run. The driver only sees this interface: deploy a variant, set its memory,
// force the next invocation cold, invoke and read the REPORT metrics.
//   local         (default) a private `lambench serve` started for the run and stopped after
//   endpoint=URL  an already running Lambda-compatible endpoint (lambench serve, emulators)
//   aws           AWS Lambda (aws_target.hpp): functions <stack>-<function>-<profile> created or
//                 updated through the Lambda API and kept for the next run; the endpoint can be
//                 overridden (--endpoint-url, AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL)
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "driver/report_line.hpp"
#include "driver/results.hpp"

namespace lambench::driver {

// A failure the driver records as a failed sample: type (e.g. "Artifact.Missing",
// "ResourceNotFoundException", "Runtime.ExitError") and message.
struct target_error : std::runtime_error {
    target_error(std::string type_, const std::string& message)
        : std::runtime_error(message), type(std::move(type_)) {}
    std::string type;
};

struct deploy_spec {
    variant_info info;
    std::string artifact;  // directory with bootstrap, or a .zip
    std::string handler = "bootstrap";
    int timeout_s = 30;
    std::map<std::string, std::string> environment;
    bool stream = false;  // invoke with InvokeWithResponseStream
};

struct invoke_outcome {
    bool ok = false;
    std::optional<report_metrics> report;
    double round_trip_ms = no_value;
    double first_byte_ms = no_value;  // streamed invocations only
    std::string error_type, error_message;
    int throttled_retries = 0, conflict_retries = 0;  // see sample
    std::string model;  // the service's resource model as it stated it (X-Lambench-Model)
};

class target {
  public:
    virtual ~target() = default;
    virtual std::string describe() const = 0;
    virtual void deploy(const deploy_spec& spec, int memory_mb) = 0;  // throws target_error
    virtual void set_memory(int memory_mb) = 0;                       // throws target_error
    // A configuration change (LAMBENCH_COLD=<n>) retires the warm sandboxes, as on AWS.
    virtual void force_cold(long n) = 0;                            // throws target_error
    virtual invoke_outcome invoke(const std::string& payload) = 0;  // failures in the outcome
    virtual void remove() noexcept = 0;  // deletes the deployed function, best effort
};

// What a deployed stack (`lambench aws deploy`, CloudFormation) provides to the functions the
// aws target creates: their role and network, and where the database is. Filled from the
// stack's outputs (DescribeStacks) by the deploy code.
struct aws_stack_outputs {
    std::string role_arn;
    std::vector<std::string> subnet_ids;
    std::string security_group_id;  // the functions' group (allowed to the database on 5432)
    std::string db_host;
    int db_port = 5432;
    std::string db_name, db_user;
    // Further environment the functions need to reach the database (how the password gets
    // there is the deploy code's choice, e.g. the secret's ARN); never printed or recorded.
    std::map<std::string, std::string> db_environment;
};
// Looks a stack up in a region: nullopt when it does not exist. Throws std::runtime_error
// when it cannot tell (no credentials, AWS errors).
using aws_stack_lookup = std::function<std::optional<aws_stack_outputs>(const std::string& stack,
                                                                        const std::string& region)>;

struct aws_options {
    std::string stack = "lambench";
    std::string endpoint_url;  // --endpoint-url; empty: the environment, else AWS itself
    std::string role_arn;      // --role: wins over the stack's
    std::vector<std::string> subnet_ids, security_group_ids;  // win over the stack's
    aws_stack_lookup stack_lookup;                            // unset: no stack can be looked up
    // Retries of 429 TooManyRequestsException and 409 ResourceConflictException: exponential
    // backoff from retry_base with full jitter, capped at retry_cap, at most `attempts` calls.
    std::chrono::milliseconds retry_base{200}, retry_cap{10000};
    int attempts = 8;
    std::chrono::milliseconds ready_timeout{std::chrono::minutes(5)};  // Pending / InProgress
};

struct target_options {
    std::string spec = "local";
    std::string serve_bin;             // the lambench executable for `serve` (default: this one)
    std::string state_dir;             // scratch space (service state, zips)
    std::string region = "us-east-1";  // aws: empty = AWS_REGION, AWS_DEFAULT_REGION, profile
    aws_options aws;
};

// Throws std::invalid_argument for an unknown spec, target_error when it cannot start.
std::unique_ptr<target> make_target(const target_options& o);

// Path of the running executable (for `serve` and the default artifacts root).
std::string self_executable();

}  // namespace lambench::driver
