// SigV4 canonicalisation and signing (src/aws/sigv4.cpp). The fuzz input is a raw request as in
// the published test suite's request.txt (request line, headers with obs-fold continuations,
// blank line, body): parse_http_request splits it into method, path, query, headers and body,
// and sign() canonicalises and signs it under options chosen by a hash of the input (path
// normalisation, double encoding, signed body, session token, presigning). The only exception
// allowed is sign_error. Then the verifier's view: the request as sent (with the headers sign()
// added, Authorization aside) signed again must give the same signature, which is what a
// server checking the signature computes; and the helpers hold their contracts
// (uri_decode(uri_encode(x)) == x, a formatted date parses back). And the server side:
// sigv4::verify on the raw request (any Authorization header or presigned query the input
// makes) never throws and answers one of the four AWS error types; on the request as the signer
// sent it (header or presigned flavour), it accepts — whenever the request is one a server
// following Lambda's rules can check (normalised, double-encoded path, the body's own hash).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "aws/sigv4.hpp"
#include "fuzz_common.hpp"

namespace sigv4 = lambench::aws::sigv4;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::uint64_t h = lambench_fuzz::hash_bytes(input);

    // Helpers on the raw bytes.
    if (sigv4::uri_decode(sigv4::uri_encode(input, (h & 1) != 0)) != input)
        lambench_fuzz::violated("uri_decode(uri_encode(x)) != x", input);
    (void)sigv4::canonical_query(input);
    (void)sigv4::canonical_path(input, (h & 2) != 0, (h & 4) != 0);
    try {
        auto t = sigv4::parse_amz_date(input.substr(0, 20));
        if (sigv4::parse_amz_date(sigv4::format_amz_date(t)) != t)
            lambench_fuzz::violated("a formatted date does not parse back", input.substr(0, 20));
    } catch (const sigv4::sign_error&) {
    }

    sigv4::request req;
    try {
        req = sigv4::parse_http_request(input);
    } catch (const sigv4::sign_error&) {
        return 0;
    }
    sigv4::params p;
    sigv4::verify_options vo;
    vo.region = "us-east-1";
    vo.service = "service";
    vo.now = sigv4::parse_amz_date("20150830T123600Z");
    vo.lookup = [&p](std::string_view id) {
        return id == p.creds.access_key_id ? &p.creds : nullptr;
    };
    auto check_verdict = [](const sigv4::verify_result& v) {
        if (v.ok()) return;
        for (std::string_view t :
             {"MissingAuthenticationTokenException", "IncompleteSignatureException",
              "UnrecognizedClientException", "InvalidSignatureException"})
            if (v.error_type == t) return;
        lambench_fuzz::violated("verify answered an unknown error type", v.error_type);
    };
    p.creds.access_key_id = "AKIDEXAMPLE";
    p.creds.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    if (h & 8)
        p.creds.session_token =
            "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW";
    p.region = "us-east-1";
    p.service = "service";
    p.time = sigv4::parse_amz_date("20150830T123600Z");
    p.normalize_path = (h & 16) != 0;
    p.double_encode_path = (h & 32) != 0;
    p.sign_body = (h & 64) != 0;
    p.omit_session_token = (h & 128) != 0;
    if (h & 256) p.payload_hash = "UNSIGNED-PAYLOAD";
    if ((h & 0x600) == 0x600) p.presign_expires_s = static_cast<int>((h >> 12) % 700000);

    {
        const auto v = sigv4::verify(req, vo);
        const auto head = sigv4::verify_head(req, vo);
        check_verdict(v);
        check_verdict(head);
        if (v.ok() && !head.ok())
            lambench_fuzz::violated("verify accepts what verify_head refuses", head.message);
    }

    sigv4::result r;
    try {
        r = sigv4::sign(req, p);
    } catch (const sigv4::sign_error&) {
        return 0;
    }
    if (r.signature.size() != 64) lambench_fuzz::violated("a signature is not 64 hex digits");

    // The server's check of what the signer sent.
    bool checkable = p.normalize_path && p.double_encode_path && p.payload_hash.empty() &&
                     sigv4::uri_decode(req.query).find("X-Amz-") == std::string::npos;
    for (const auto& hd : req.headers) {
        std::string n = hd.name;
        for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (n == "authorization" || n == "x-amz-content-sha256" || n == "x-amz-security-token")
            checkable = false;
    }
    if (checkable) {
        sigv4::request sent = req;
        if (p.presign_expires_s) {
            sent.query = r.presigned_query;
        } else {
            for (const auto& added : r.add_headers) sent.headers.push_back(added);
        }
        vo.now = sigv4::parse_amz_date(r.amz_date);
        const auto v = sigv4::verify(sent, vo);
        if (!v.ok())
            lambench_fuzz::violated("verify refuses a request the signer sent",
                                    v.error_type + ": " + v.message + "\n" + r.canonical_request);
    }
    if (p.presign_expires_s || p.omit_session_token) return 0;

    // Verify as a server would: the request it receives, signed again.
    sigv4::request sent = req;
    for (const auto& added : r.add_headers)
        if (added.name != "Authorization") sent.headers.push_back(added);
    sigv4::result again;
    try {
        again = sigv4::sign(sent, p);
    } catch (const sigv4::sign_error& e) {
        lambench_fuzz::violated("a signed request cannot be verified", e.what());
    }
    if (again.signature != r.signature)
        lambench_fuzz::violated(
            "the signed request verifies to another signature",
            r.canonical_request + "\n--- verified as ---\n" + again.canonical_request);
    return 0;
}
