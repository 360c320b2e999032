// Where functions run. The driver only sees this interface: deploy a variant, set its memory,
// force the next invocation cold, invoke and read the REPORT metrics.
//   local         (default) a private `lambench serve` started for the run and stopped after
//   endpoint=URL  an already running Lambda-compatible endpoint (lambench serve, emulators)
//   aws           real AWS Lambda (not yet implemented)
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

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
};

struct invoke_outcome {
    bool ok = false;
    std::optional<report_metrics> report;
    double round_trip_ms = no_value;
    std::string error_type, error_message;
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

struct target_options {
    std::string spec = "local";
    std::string serve_bin;  // the lambench executable for `serve` (default: this one)
    std::string state_dir;  // scratch space (service state, zips)
    std::string region = "us-east-1";
};

// Throws std::invalid_argument for an unknown spec, target_error when it cannot start.
std::unique_ptr<target> make_target(const target_options& o);

// Path of the running executable (for `serve` and the default artifacts root).
std::string self_executable();

}  // namespace lambench::driver
