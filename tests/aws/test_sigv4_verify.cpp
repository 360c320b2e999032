// The server side of SigV4 (sigv4::verify, what `lambench serve --auth sigv4` runs): the signed
// requests of the published test suite pass; a wrong secret, an unknown key, a tampered header,
// body, path or query, clock skew, a missing or malformed Authorization header each get the
// AWS error type and message — and no input makes it throw.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/sigv4.hpp"

namespace fs = std::filesystem;
using namespace lambench::aws;
using namespace std::chrono_literals;

namespace {

const credentials key{"AKIDVERIFY", "verify/secret+key", ""};
const credentials temp_key{"ASIAVERIFY", "temporary-secret", "the-session-token"};
const auto signed_at = sigv4::parse_amz_date("20260301T120000Z");

constexpr std::string_view mismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";
constexpr std::string_view bad_token = "The security token included in the request is invalid.";

sigv4::verify_options options(std::chrono::system_clock::time_point now = signed_at) {
    sigv4::verify_options o;
    o.region = "us-east-1";
    o.service = "lambda";
    o.now = now;
    o.lookup = [](std::string_view id) -> const credentials* {
        if (id == key.access_key_id) return &key;
        if (id == temp_key.access_key_id) return &temp_key;
        return nullptr;
    };
    return o;
}

sigv4::request invoke_request() {
    sigv4::request r;
    r.method = "POST";
    r.path = "/2015-03-31/functions/fn%3Alive/invocations";
    r.query = "Qualifier=live";
    r.headers = {{"Host", "127.0.0.1:9000"},
                 {"Content-Type", "application/json"},
                 {"X-Amz-Invocation-Type", "RequestResponse"}};
    r.body = R"({"hello":"world"})";
    return r;
}

// `r` signed as a client would send it.
sigv4::request signed_request(sigv4::request r, const credentials& c = key,
                              const std::string& region = "us-east-1",
                              const std::string& service = "lambda", bool sign_body = false) {
    sigv4::params p;
    p.creds = c;
    p.region = region;
    p.service = service;
    p.time = signed_at;
    p.sign_body = sign_body;
    const auto s = sigv4::sign(r, p);
    for (const auto& h : s.add_headers) r.headers.push_back(h);
    return r;
}

std::string& header_value(sigv4::request& r, std::string_view name) {
    for (auto& h : r.headers)
        if (h.name == name) return h.value;
    throw std::runtime_error("no header " + std::string(name));
}

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST(sigv4_verify, accepts_the_right_key) {
    const auto r = sigv4::verify(signed_request(invoke_request()), options());
    EXPECT_TRUE(r.ok()) << r.error_type << ": " << r.message;
    EXPECT_EQ(r.access_key_id, key.access_key_id);
    EXPECT_TRUE(sigv4::verify_head(signed_request(invoke_request()), options()).ok());
}

TEST(sigv4_verify, wrong_secret_is_invalid_signature) {
    const auto r = sigv4::verify(
        signed_request(invoke_request(), {key.access_key_id, "not-the-secret", ""}), options());
    EXPECT_EQ(r.error_type, "InvalidSignatureException");
    EXPECT_EQ(r.message, mismatch);
    EXPECT_EQ(r.access_key_id, key.access_key_id);
}

TEST(sigv4_verify, unknown_key_is_unrecognized_client) {
    const auto req = signed_request(invoke_request(), {"AKIDSTRANGER", key.secret_access_key, ""});
    for (const auto& r : {sigv4::verify(req, options()), sigv4::verify_head(req, options())}) {
        EXPECT_EQ(r.error_type, "UnrecognizedClientException");
        EXPECT_EQ(r.message, bad_token);
    }
}

TEST(sigv4_verify, missing_authorization_is_missing_token) {
    const auto r = sigv4::verify(invoke_request(), options());
    EXPECT_EQ(r.error_type, "MissingAuthenticationTokenException");
    EXPECT_EQ(r.message, "Missing Authentication Token");
}

TEST(sigv4_verify, any_tampering_breaks_the_signature) {
    const sigv4::request good = signed_request(invoke_request());
    struct change {
        const char* what;
        std::function<void(sigv4::request&)> apply;
    };
    const std::vector<change> changes = {
        {"body", [](auto& r) { r.body = R"({"hello":"World"})"; }},
        {"empty body", [](auto& r) { r.body.clear(); }},
        {"path", [](auto& r) { r.path = "/2015-03-31/functions/other%3Alive/invocations"; }},
        {"path case", [](auto& r) { r.path = "/2015-03-31/functions/Fn%3Alive/invocations"; }},
        {"query value", [](auto& r) { r.query = "Qualifier=prod"; }},
        {"query added", [](auto& r) { r.query += "&x=1"; }},
        {"query removed", [](auto& r) { r.query.clear(); }},
        {"method", [](auto& r) { r.method = "PUT"; }},
        {"signed header", [](auto& r) { header_value(r, "X-Amz-Invocation-Type") = "Event"; }},
        {"host", [](auto& r) { header_value(r, "Host") = "127.0.0.1:9001"; }},
        {"signed header dropped",
         [](auto& r) {
             std::erase_if(r.headers, [](auto& h) { return h.name == "Content-Type"; });
         }},
        {"signed header doubled",
         [](auto& r) {
             r.headers.push_back({"Content-Type", "text/plain"});
         }},
        {"date within the skew",
         [](auto& r) { header_value(r, "X-Amz-Date") = "20260301T120001Z"; }},
        {"signature",
         [](auto& r) {
             auto& a = header_value(r, "Authorization");
             a.back() = a.back() == '0' ? '1' : '0';
         }},
    };
    for (const auto& c : changes) {
        sigv4::request req = good;
        c.apply(req);
        const auto r = sigv4::verify(req, options());
        EXPECT_EQ(r.error_type, "InvalidSignatureException") << c.what << ": " << r.message;
        EXPECT_EQ(r.message, mismatch) << c.what;
    }
    // Headers outside SignedHeaders are not covered, as on AWS.
    sigv4::request req = good;
    req.headers.push_back({"User-Agent", "changed on the way"});
    EXPECT_TRUE(sigv4::verify(req, options()).ok());
}

TEST(sigv4_verify, clock_skew_beyond_five_minutes_gets_the_aws_message) {
    const auto req = signed_request(invoke_request());
    EXPECT_TRUE(sigv4::verify(req, options(signed_at + 5min)).ok());
    EXPECT_TRUE(sigv4::verify(req, options(signed_at - 5min)).ok());

    auto late = sigv4::verify(req, options(signed_at + 5min + 1s));
    EXPECT_EQ(late.error_type, "InvalidSignatureException");
    EXPECT_EQ(late.message,
              "Signature expired: 20260301T120000Z is now earlier than 20260301T120001Z "
              "(20260301T120501Z - 5 min.)");
    auto early = sigv4::verify_head(req, options(signed_at - 10min));
    EXPECT_EQ(early.error_type, "InvalidSignatureException");
    EXPECT_EQ(early.message,
              "Signature not yet current: 20260301T120000Z is still later than 20260301T115500Z "
              "(20260301T115000Z + 5 min.)");
}

TEST(sigv4_verify, the_scope_must_name_this_region_and_service) {
    auto r = sigv4::verify(signed_request(invoke_request(), key, "eu-west-1"), options());
    EXPECT_EQ(r.error_type, "InvalidSignatureException");
    EXPECT_NE(r.message.find("Credential should be scoped to a valid region, not 'eu-west-1'"),
              std::string::npos)
        << r.message;
    EXPECT_NE(r.message.find("'us-east-1'"), std::string::npos) << r.message;
    r = sigv4::verify(signed_request(invoke_request(), key, "us-east-1", "s3"), options());
    EXPECT_EQ(r.error_type, "InvalidSignatureException");
    EXPECT_EQ(r.message, "Credential should be scoped to correct service: 'lambda'.");
}

TEST(sigv4_verify, session_tokens_must_match_the_key) {
    EXPECT_TRUE(sigv4::verify(signed_request(invoke_request(), temp_key), options()).ok());
    // Temporary key without its token, with another token; a long-term key with a token.
    const std::vector<sigv4::request> bad = {
        signed_request(invoke_request(), {temp_key.access_key_id, temp_key.secret_access_key, ""}),
        signed_request(invoke_request(),
                       {temp_key.access_key_id, temp_key.secret_access_key, "other-token"}),
        signed_request(invoke_request(),
                       {key.access_key_id, key.secret_access_key, "a-token-it-never-had"}),
    };
    for (const auto& req : bad) {
        const auto r = sigv4::verify(req, options());
        EXPECT_EQ(r.error_type, "UnrecognizedClientException");
        EXPECT_EQ(r.message, bad_token);
    }
}

TEST(sigv4_verify, content_sha256_header_must_be_the_body_hash) {
    const auto req = signed_request(invoke_request(), key, "us-east-1", "lambda", true);
    EXPECT_TRUE(sigv4::verify(req, options()).ok());
    auto tampered = req;
    tampered.body += " ";
    auto r = sigv4::verify(tampered, options());
    EXPECT_EQ(r.error_type, "InvalidSignatureException");
    EXPECT_NE(r.message.find("'x-amz-content-sha256' header does not match"), std::string::npos);
    // Signed as UNSIGNED-PAYLOAD: the body would be unauthenticated, so it is refused.
    sigv4::request unsigned_payload = invoke_request();
    unsigned_payload.headers.push_back({"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"});
    unsigned_payload = signed_request(unsigned_payload);
    r = sigv4::verify(unsigned_payload, options());
    EXPECT_EQ(r.error_type, "InvalidSignatureException");
    // verify_head cannot see the body: the rest of the request is fine.
    EXPECT_TRUE(sigv4::verify_head(tampered, options()).ok());
}

TEST(sigv4_verify, presigned_query_requests) {
    sigv4::request req = invoke_request();
    req.method = "GET";
    req.body.clear();
    req.headers = {{"Host", "127.0.0.1:9000"}};
    auto presign = [&](const credentials& c, int expires) {
        sigv4::params p;
        p.creds = c;
        p.region = "us-east-1";
        p.service = "lambda";
        p.time = signed_at;
        p.presign_expires_s = expires;
        sigv4::request out = req;
        out.query = sigv4::sign(req, p).presigned_query;
        return out;
    };
    EXPECT_TRUE(sigv4::verify(presign(key, 60), options(signed_at + 59s)).ok());
    EXPECT_TRUE(sigv4::verify(presign(temp_key, 60), options()).ok());

    auto r = sigv4::verify(presign(key, 60), options(signed_at + 61s));
    EXPECT_EQ(r.error_type, "InvalidSignatureException");
    EXPECT_NE(r.message.find("Request has expired"), std::string::npos) << r.message;

    auto tampered = presign(key, 60);
    tampered.query.replace(tampered.query.find("Qualifier=live"), 14, "Qualifier=prod");
    EXPECT_EQ(sigv4::verify(tampered, options()).error_type, "InvalidSignatureException");
    auto longer = presign(key, 60);
    longer.query.replace(longer.query.find("X-Amz-Expires=60"), 16, "X-Amz-Expires=99");
    EXPECT_EQ(sigv4::verify(longer, options()).message, mismatch);
    EXPECT_EQ(sigv4::verify(presign({"AKIDSTRANGER", "x", ""}, 60), options()).error_type,
              "UnrecognizedClientException");

    auto both = signed_request(presign(key, 60));
    EXPECT_EQ(sigv4::verify(both, options()).error_type, "IncompleteSignatureException");
    auto partial = presign(key, 60);
    partial.query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&Qualifier=live";
    r = sigv4::verify(partial, options());
    EXPECT_EQ(r.error_type, "IncompleteSignatureException");
    EXPECT_EQ(r.message,
              "AWS query-string parameters must include 'X-Amz-Credential'. Re-examine the "
              "query-string parameters.");
    for (const char* e : {"0", "604801", "-1", "1e3", "", "99999999999999999999"}) {
        auto bad = presign(key, 60);
        bad.query.replace(bad.query.find("X-Amz-Expires=60"), 16,
                          std::string("X-Amz-Expires=") + e);
        EXPECT_EQ(sigv4::verify(bad, options()).error_type, "IncompleteSignatureException") << e;
    }
}

TEST(sigv4_verify, malformed_authorization_headers_get_403_types_never_a_crash) {
    const sigv4::request good = signed_request(invoke_request());
    sigv4::request base = good;
    const std::string auth = header_value(base, "Authorization");
    const std::string scope = "AKIDVERIFY/20260301/us-east-1/lambda/aws4_request";
    const std::string sig(64, 'a');
    struct shape {
        std::string value;
        std::string type;
        std::string message_part;
    };
    const std::vector<shape> shapes = {
        {"", "IncompleteSignatureException", "requires 'Credential' parameter"},
        {"   ", "IncompleteSignatureException", "requires 'Signature' parameter"},
        {"Bearer eyJhbGciOi.x.y", "IncompleteSignatureException", "Authorization=Bearer"},
        {"Basic dXNlcjpwYXNz", "IncompleteSignatureException", "Unsupported algorithm 'Basic'"},
        {"AWS4-HMAC-SHA256", "IncompleteSignatureException", "requires 'SignedHeaders' parameter"},
        {"AWS4-HMAC-SHA256 Credential=" + scope, "IncompleteSignatureException",
         "requires 'Signature' parameter"},
        {"AWS4-HMAC-SHA256 Credential " + scope, "IncompleteSignatureException",
         "not a valid key=value pair (missing equal-sign)"},
        {"AWS4-HMAC-SHA256 Credential=" + scope + ", SignedHeaders=host, Signature=" + sig +
             ", Signature=" + sig,
         "IncompleteSignatureException", "more than one 'Signature'"},
        {"AWS4-HMAC-SHA1 Credential=" + scope + ", SignedHeaders=host, Signature=" + sig,
         "IncompleteSignatureException", "Unsupported algorithm 'AWS4-HMAC-SHA1'"},
        {"AWS4-HMAC-SHA256 Credential=AKIDVERIFY/20260301/us-east-1/lambda, SignedHeaders=host, "
         "Signature=" +
             sig,
         "IncompleteSignatureException", "exactly 5 slash-delimited elements"},
        {"AWS4-HMAC-SHA256 Credential=AKIDVERIFY/20260301/us-east-1/lambda/aws4_request/x, "
         "SignedHeaders=host, Signature=" +
             sig,
         "IncompleteSignatureException", "exactly 5 slash-delimited elements"},
        {"AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=" + sig,
         "IncompleteSignatureException", "exactly 5"},
        {"AWS4-HMAC-SHA256 Credential=////, SignedHeaders=host, Signature=" + sig,
         "InvalidSignatureException", "valid region"},
        {"AWS4-HMAC-SHA256 Credential=" + scope + ", SignedHeaders=x-amz-date, Signature=" + sig,
         "IncompleteSignatureException", "'Host' must be a 'SignedHeader'"},
        {"AWS4-HMAC-SHA256 Credential=" + scope + ", SignedHeaders=, Signature=" + sig,
         "IncompleteSignatureException", "'Host' must be a 'SignedHeader'"},
        {"AWS4-HMAC-SHA256 Credential=/20260301/us-east-1/lambda/aws4_request, "
         "SignedHeaders=host, Signature=" +
             sig,
         "UnrecognizedClientException", std::string(bad_token)},
        {"AWS4-HMAC-SHA256 Credential=AKIDVERIFY/20260302/us-east-1/lambda/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature=" +
             sig,
         "InvalidSignatureException", "Date in Credential scope does not match"},
        {"AWS4-HMAC-SHA256 Credential=AKIDVERIFY/20260301/us-east-1/lambda/aws5_request, "
         "SignedHeaders=host;x-amz-date, Signature=" +
             sig,
         "InvalidSignatureException", "valid terminator: 'aws4_request', not 'aws5_request'"},
        {"AWS4-HMAC-SHA256 Credential=" + scope + ", SignedHeaders=host;x-amz-date, Signature=",
         "InvalidSignatureException", std::string(mismatch)},
        {"AWS4-HMAC-SHA256 Credential=" + scope +
             ", SignedHeaders=host;x-amz-date, Signature=" + std::string(100000, 'f'),
         "InvalidSignatureException", std::string(mismatch)},
        {"AWS4-HMAC-SHA256 Credential=" + scope +
             ", SignedHeaders=HOST;X-AMZ-DATE, Signature=" + sig,
         "IncompleteSignatureException", "'Host' must be a 'SignedHeader'"},
        {"AWS4-HMAC-SHA256 Credential=" + scope +
             ",SignedHeaders=host;;;;x-amz-date,,,,Signature=" + sig,
         "InvalidSignatureException", std::string(mismatch)},
        {std::string("AWS4-HMAC-SHA256 Credential=\xff\xfe/\x80/\0/x/y", 38) +
             ", SignedHeaders=host, Signature=" + sig,
         "InvalidSignatureException", "Credential should be scoped"},
        {"AWS4-HMAC-SHA256 " + std::string(70000, ','), "IncompleteSignatureException",
         "requires 'Credential'"},
        {"AWS4-HMAC-SHA256 " + std::string(70000, '='), "IncompleteSignatureException",
         "requires 'Credential'"},
    };
    for (const auto& s : shapes) {
        sigv4::request req = good;
        header_value(req, "Authorization") = s.value;
        for (const bool head : {false, true}) {
            const auto r =
                head ? sigv4::verify_head(req, options()) : sigv4::verify(req, options());
            if (head && s.message_part == mismatch) {
                EXPECT_TRUE(r.ok()) << r.message;  // verify_head leaves the signature to verify
                continue;
            }
            EXPECT_EQ(r.error_type, s.type) << s.value.substr(0, 120) << "\n" << r.message;
            EXPECT_NE(r.message.find(s.message_part), std::string::npos)
                << s.value.substr(0, 120) << "\n"
                << r.message;
            EXPECT_LE(r.message.size(), 2048u);  // echoes are clipped
        }
    }

    // No X-Amz-Date, a bad one, an impossible one.
    for (const char* date : {"", "yesterday", "20261301T000000Z", "20260301T120000", "1"}) {
        sigv4::request req = good;
        if (*date)
            header_value(req, "X-Amz-Date") = date;
        else
            std::erase_if(req.headers, [](auto& h) { return h.name == "X-Amz-Date"; });
        const auto r = sigv4::verify(req, options());
        EXPECT_EQ(r.error_type, "IncompleteSignatureException") << date << ": " << r.message;
    }

    // Every truncation and every one-bit change of a good header: refused, and no exception.
    for (std::size_t n = 0; n < auth.size(); ++n) {
        sigv4::request req = good;
        header_value(req, "Authorization") = auth.substr(0, n);
        EXPECT_FALSE(sigv4::verify(req, options()).ok()) << n;
    }
    for (std::size_t i = 0; i < auth.size(); ++i) {
        sigv4::request req = good;
        header_value(req, "Authorization")[i] ^= 1;
        const auto r = sigv4::verify(req, options());
        EXPECT_FALSE(r.ok()) << i << ": " << header_value(req, "Authorization");
        EXPECT_FALSE(r.error_type.empty());
    }
}

// The published suite's signed requests, received by a server: each one is authentic.
TEST(sigv4_verify, the_published_suites_signed_requests_verify) {
    const fs::path suite = fs::path(LAMBENCH_AWS_TESTDATA) / "aws-sigv4";
    int checked = 0;
    for (const auto& e : fs::directory_iterator(suite)) {
        if (!fs::exists(e.path() / "context.json")) continue;
        const auto ctx = nlohmann::json::parse(read(e.path() / "context.json"));
        // The unnormalised cases are S3's path rules; this verifier is for the other services.
        if (!ctx.value("normalize", true)) continue;
        const credentials c{ctx["credentials"]["access_key_id"],
                            ctx["credentials"]["secret_access_key"],
                            ctx["credentials"].value("token", "")};
        sigv4::verify_options o;
        o.region = ctx["region"];
        o.service = ctx["service"];
        o.now = sigv4::parse_amz_date(ctx["timestamp"].get<std::string>());
        o.lookup = [&c](std::string_view id) { return id == c.access_key_id ? &c : nullptr; };
        for (const char* flavour : {"header-signed-request.txt", "query-signed-request.txt"}) {
            const auto req = sigv4::parse_http_request(read(e.path() / flavour));
            const auto r = sigv4::verify(req, o);
            EXPECT_TRUE(r.ok()) << e.path().filename() << " " << flavour << ": " << r.error_type
                                << ": " << r.message;
            ++checked;
        }
    }
    EXPECT_GE(checked, 60);
}
