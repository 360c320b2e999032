// lambench::runtime — write an AWS Lambda function in C++.
//
//   int main() {
//       return lambench::runtime::run([](const lambench::runtime::invocation& inv) {
//           return lambench::runtime::response::success(R"({"ok":true})");
//       });
//   }
//
// run() talks to the Lambda Runtime API at $AWS_LAMBDA_RUNTIME_API: it fetches each event,
// calls the handler, and posts the response (or the error, if the handler throws).
// run_streaming() does the same for a handler that writes its response in pieces, each sent to
// the caller as soon as it is written (Lambda response streaming).
#pragma once

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lambench::runtime {

struct invocation {
    std::string payload;
    std::string request_id;
    std::string invoked_function_arn;
    std::string xray_trace_id;
    std::string client_context;    // empty when absent
    std::string cognito_identity;  // empty when absent
    std::chrono::system_clock::time_point deadline;

    std::chrono::milliseconds remaining_time() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::system_clock::now());
    }
};

class response {
  public:
    static response success(std::string body, std::string content_type = "application/json") {
        return {std::move(body), std::move(content_type), false};
    }
    // Reported through /error as {"errorMessage":message,"errorType":type,"stackTrace":[]}.
    static response failure(std::string message, std::string type = "Error") {
        return {std::move(message), std::move(type), true};
    }

    const std::string& body() const { return body_; }  // payload, or the error message
    // The payload's content type; empty for a failure.
    const std::string& content_type() const { return content_type_; }
    // The error type ("errorType") of a failure; empty for a success.
    const std::string& error_type() const { return error_type_; }
    bool is_failure() const { return failure_; }

  private:
    response(std::string body, std::string type, bool failure)
        : body_(std::move(body)),
          content_type_(failure ? std::string() : std::move(type)),
          error_type_(failure ? std::move(type) : std::string()),
          failure_(failure) {}
    std::string body_;
    std::string content_type_;
    std::string error_type_;
    bool failure_;
};

using handler = std::function<response(const invocation&)>;

// Where a streaming handler writes its response; valid during the handler's call.
class response_stream {
  public:
    virtual ~response_stream() = default;
    // Sends the bytes to the caller now. False once the response cannot go on (the Runtime API
    // refused it, over the size limit, or went away); later writes are dropped.
    virtual bool write(std::string_view bytes) = 0;
};

using streaming_handler = std::function<void(const invocation&, response_stream&)>;

// Runs the invocation loop until the Runtime API goes away. Returns the process exit code:
// non-zero when the Runtime API cannot be reached. A handler that throws is reported as a
// function error (errorType = the exception's type name) and the loop goes on.
int run(const handler& fn);

// The loop of run() for a streaming handler; the response's bytes have `content_type`. A handler
// that throws before writing is reported as run() reports it; after writing, the stream ends with
// the error (errorType = the exception's type), which the caller sees as the invocation's error.
int run_streaming(const streaming_handler& fn,
                  std::string content_type = "application/octet-stream");

// Reports an initialisation failure through /runtime/init/error. The caller should then exit
// non-zero; init_error() returns the exit code to use (1).
int init_error(const std::string& message, const std::string& type = "Runtime.InitError");

}  // namespace lambench::runtime
