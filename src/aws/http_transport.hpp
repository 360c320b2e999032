// The one signed HTTP transport every AWS client here uses (Lambda REST, query, JSON): libcurl
// with one kept-alive connection, SigV4 over exactly the headers sent. The protocol clients
// differ only in how they shape a request and read an answer.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aws/lambda_client.hpp"  // credentials
#include "aws/sigv4.hpp"

namespace lambench::aws {

struct http_response {
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-cased names; repeats joined by ", "
    std::string body;
    std::chrono::nanoseconds round_trip{};  // request about to be written -> last byte read
    std::chrono::nanoseconds first_byte{};  // request about to be written -> first byte read
};

class signed_transport {
  public:
    // endpoint: scheme://host[:port][/base-path]; service: the SigV4 signing name (lambda, ec2,
    // cloudformation, rds, secretsmanager, sts). Throws std::invalid_argument on a bad endpoint.
    signed_transport(std::string endpoint, std::string region, std::string service,
                     credentials creds);
    ~signed_transport();
    signed_transport(const signed_transport&) = delete;
    signed_transport& operator=(const signed_transport&) = delete;
    signed_transport(signed_transport&&) noexcept;
    signed_transport& operator=(signed_transport&&) noexcept;

    // path is relative to the endpoint's base path; query is sent as is (already encoded).
    // Host and the signature are added; every other header comes from the caller. Transport
    // failures throw std::runtime_error naming the method and URL.
    http_response send(const std::string& method, const std::string& path, const std::string& query,
                       const std::string& body, const std::vector<sigv4::header>& headers);

    const std::string& endpoint() const;
    const std::string& region() const;
    const std::string& service() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// "1.5" seconds or absent -> the pause before retry `attempt` (1-based): Retry-After when the
// server sent a number, else 0.2 s × attempt; clamped to 50 ms … 10 s.
std::chrono::milliseconds retry_delay(const http_response& r, int attempt);

}  // namespace lambench::aws
