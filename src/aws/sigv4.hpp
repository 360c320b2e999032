// AWS Signature Version 4, Authorization-header flavour.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
// Checked byte for byte against the published SigV4 test suite (tests/aws/testdata/aws-sigv4).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "aws/lambda_client.hpp"  // credentials

namespace lambench::aws::sigv4 {

// A request that cannot be signed (no Host, bad date, bad header name...). The message says which.
struct sign_error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

struct header {
    std::string name, value;
};

struct request {
    std::string method;           // GET, POST...
    std::string path = "/";       // exactly as on the request line, before '?'
    std::string query;            // raw query string after '?', may be empty
    std::vector<header> headers;  // as sent; must contain Host. Every one of them is signed.
    std::string body;
};

struct params {
    credentials creds;
    std::string region, service;
    // Signing time. When unset: the request's own X-Amz-Date header if it has one, else now.
    std::optional<std::chrono::system_clock::time_point> time;
    bool normalize_path = true;       // RFC 3986 dot-segment removal; S3 wants false
    bool double_encode_path = true;   // encode the (already encoded) path again; S3 wants false
    bool sign_body = false;           // add and sign x-amz-content-sha256
    bool omit_session_token = false;  // send X-Amz-Security-Token but leave it out of the signature
    std::string payload_hash;         // override, e.g. "UNSIGNED-PAYLOAD"; empty: SHA-256 of body
    // Presigned-URL flavour: the signature travels in the query string (X-Amz-Signature) and
    // is valid for this many seconds; nothing is added to the headers.
    std::optional<int> presign_expires_s;
};

struct result {
    std::string canonical_request, string_to_sign, signature, authorization;
    std::string amz_date;             // 20150830T123600Z
    std::vector<header> add_headers;  // to add to the request before sending, Authorization last
    std::string presigned_query;      // presign only: the query string to send instead
};

result sign(const request& req, const params& p);

// ---- Server side: checking a received request (what `lambench serve --auth sigv4` does) ----
//
// Both flavours: the Authorization header and the presigned query string (X-Amz-Algorithm...).
// The signature is recomputed with sign() above from the headers the client says it signed,
// then compared in constant time. Nothing here throws on bad input: every fault is a result
// naming the AWS error type and message the service answers with (HTTP 403).

struct verify_options {
    std::string region, service;  // the scope a credential must name
    // The server's clock; unset = now.
    std::optional<std::chrono::system_clock::time_point> now;
    std::chrono::seconds max_skew{300};  // AWS allows 5 minutes either way
    // Access key id -> its credentials (secret and, for temporary keys, the session token the
    // request must carry); nullptr for a key the server does not know.
    std::function<const credentials*(std::string_view access_key_id)> lookup;
};

struct verify_result {
    // Empty when the request is authentic; else the AWS error type:
    // MissingAuthenticationTokenException, IncompleteSignatureException,
    // UnrecognizedClientException or InvalidSignatureException.
    std::string error_type;
    std::string message;
    std::string access_key_id;  // as the request named it (when it got that far)
    bool ok() const { return error_type.empty(); }
};

// The whole check. req.headers are all the headers received (only the signed ones are used),
// req.body the body received. The payload hash is x-amz-content-sha256 when the request has that
// header (which must then equal the body's SHA-256), else the SHA-256 of the body.
verify_result verify(const request& req, const verify_options& o);
// Everything that can be checked before the body arrives: the Authorization shape, the key, the
// session token, the date, clock skew and the scope. ok() when only the signature remains.
verify_result verify_head(const request& req, const verify_options& o);

// AWS's clock-skew messages, e.g. "Signature expired: 20150830T122600Z is now earlier than
// 20150830T123100Z (20150830T123600Z - 5 min.)"; empty when `signed_at` is within max_skew.
std::string skew_message(std::chrono::system_clock::time_point signed_at,
                         std::chrono::system_clock::time_point now, std::chrono::seconds max_skew);

// Helpers, public because the client and the tests use them.
std::string sha256_hex(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string hex(std::string_view bytes);
// RFC 3986 percent-encoding of everything but unreserved characters (and '/' when keep_slash).
std::string uri_encode(std::string_view s, bool keep_slash);
std::string uri_decode(std::string_view s);
std::string canonical_path(std::string_view path, bool normalize, bool double_encode);
std::string canonical_query(std::string_view query);
// 20150830T123600Z <-> time point. Parsing accepts that form and 2015-08-30T12:36:00Z;
// anything else (or an impossible date) throws sign_error.
std::string format_amz_date(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point parse_amz_date(std::string_view s);

// Parses a raw HTTP/1.1 request as in the test suite's request.txt: request line, header lines
// (a line starting with whitespace continues the previous header's value), blank line, body.
request parse_http_request(std::string_view raw);

}  // namespace lambench::aws::sigv4
