// SigV4 authentication of the Lambda API (`lambench serve --auth sigv4`): every control-plane and
// Invoke request must be signed with a key the service knows, checked with the same signer the
// client side uses (aws/sigv4.*). Refusals are AWS's: 403 with MissingAuthenticationToken-,
// IncompleteSignature-, UnrecognizedClient- or InvalidSignatureException. The Runtime API
// listeners are not behind this (each answers only its own sandbox's processes).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "aws/lambda_client.hpp"
#include "http_server.hpp"

namespace lambench::service {

class sigv4_auth {
  public:
    // Requests must be scoped to `region` and service "lambda".
    sigv4_auth(const std::vector<aws::credentials>& keys, std::string region);

    // Throws api_error (403) unless the request is authentic. The body is hashed in place.
    void check(http::request& req) const;
    // What can be refused before the body is read (everything but the signature itself).
    void check_head(const http::request& req) const;

    std::size_t key_count() const { return keys_.size(); }

  private:
    std::map<std::string, aws::credentials, std::less<>> keys_;
    std::string region_;
};

// The keys `--auth sigv4` accepts: every section of `file` when one is given (aws::read_key_file),
// else the one key of the AWS credential chain (environment, ~/.aws/credentials, ~/.aws/config).
// `source` says where they came from. Throws std::runtime_error saying what to do when there is
// none.
std::vector<aws::credentials> load_auth_keys(const std::string& file, std::string& source);

}  // namespace lambench::service
