// Clients of the two RPC wire protocols the deploy path needs besides Lambda's REST:
//   query: POST / with Action=…&Version=…&<members> form-encoded, XML answers
//          (EC2, CloudFormation, RDS, STS);
//   json:  POST / with X-Amz-Target: <prefix>.<Operation> and an application/x-amz-json-1.1
//          body, JSON answers (Secrets Manager).
// Errors come back as api_error with AWS's code and message. Throttling and 5xx answers are
// retried with backoff (at most 5 attempts); everything else is the caller's to handle.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "aws/endpoints.hpp"
#include "aws/http_transport.hpp"
#include "aws/xml.hpp"

namespace lambench::aws {

// Members in the query protocol's flattened form: {"Filter.1.Name", "isDefault"}, ...
using query_params = std::vector<std::pair<std::string, std::string>>;

// "Action=A&Version=V&k=v…" with RFC 3986 encoding, members in the given order.
std::string form_encode(const std::string& action, const std::string& version,
                        const query_params& params);

// A query-protocol answer or error code that means "slow down" (Throttling, RequestLimitExceeded…).
bool is_throttling(const std::string& code);

class query_client {
  public:
    query_client(const service_id& service, std::string api_version, std::string endpoint,
                 std::string region, credentials creds);
    // The parsed answer (e.g. <DescribeStacksResponse>…). Throws api_error for an AWS error,
    // xml_parse_error for an answer that is not XML, std::runtime_error for transport failures.
    xml_node call(const std::string& action, const query_params& params = {});
    const std::string& endpoint() const { return transport_.endpoint(); }

  private:
    signed_transport transport_;
    std::string version_;
};

class json_client {
  public:
    json_client(const service_id& service, std::string target_prefix, std::string endpoint,
                std::string region, credentials creds);
    // The answer's JSON object. Throws api_error for an AWS error.
    nlohmann::json call(const std::string& operation, const nlohmann::json& body);
    const std::string& endpoint() const { return transport_.endpoint(); }

  private:
    signed_transport transport_;
    std::string prefix_;
};

}  // namespace lambench::aws
