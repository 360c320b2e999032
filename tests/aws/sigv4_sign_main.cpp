// Test-only: signs one request with lambench's SigV4 signer and prints the result, so that
// tests/aws/botocore/test_sigv4_botocore.py can compare it byte for byte with botocore's SigV4Auth.
// stdin: {"method", "path", "query", "headers": [[name, value]...], "body", "region", "service",
//         "access_key_id", "secret_access_key", "session_token", "time": "20260101T120000Z",
//         "normalize_path", "double_encode_path", "sign_body", "payload_hash"}
// stdout: {"authorization", "canonical_request", "string_to_sign", "add_headers": [[name,
// value]...]}
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "aws/sigv4.hpp"

int main() {
    namespace sigv4 = lambench::aws::sigv4;
    try {
        const std::string input{std::istreambuf_iterator<char>(std::cin), {}};
        const auto in = nlohmann::json::parse(input);
        sigv4::request req;
        req.method = in.at("method").get<std::string>();
        req.path = in.value("path", "/");
        req.query = in.value("query", "");
        req.body = in.value("body", "");
        for (const auto& h : in.at("headers"))
            req.headers.push_back({h.at(0).get<std::string>(), h.at(1).get<std::string>()});
        sigv4::params p;
        p.creds = {in.at("access_key_id").get<std::string>(),
                   in.at("secret_access_key").get<std::string>(), in.value("session_token", "")};
        p.region = in.at("region").get<std::string>();
        p.service = in.at("service").get<std::string>();
        if (in.contains("time")) p.time = sigv4::parse_amz_date(in.at("time").get<std::string>());
        p.normalize_path = in.value("normalize_path", true);
        p.double_encode_path = in.value("double_encode_path", true);
        p.sign_body = in.value("sign_body", false);
        p.payload_hash = in.value("payload_hash", "");
        const sigv4::result r = sigv4::sign(req, p);
        nlohmann::json out{{"authorization", r.authorization},
                           {"canonical_request", r.canonical_request},
                           {"string_to_sign", r.string_to_sign},
                           {"add_headers", nlohmann::json::array()}};
        for (const auto& h : r.add_headers) out["add_headers"].push_back({h.name, h.value});
        std::cout << out.dump() << '\n';
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "aws_sigv4_sign: " << e.what() << '\n';
        return 1;
    }
}
