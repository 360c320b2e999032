// SigV4 against the published AWS test suite (testdata/aws-sigv4, one directory per case), plus
// the malformed inputs a caller can hand the signer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/sigv4.hpp"

namespace fs = std::filesystem;
using namespace lambench::aws;

namespace {

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

fs::path suite_dir() {
    return fs::path(LAMBENCH_AWS_TESTDATA) / "aws-sigv4";
}

std::vector<std::string> case_names() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(suite_dir()))
        if (e.is_directory() && fs::exists(e.path() / "request.txt"))
            names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
}

struct suite_case {
    sigv4::request req;
    sigv4::params params;
};

suite_case load(const std::string& name) {
    const fs::path dir = suite_dir() / name;
    const auto ctx = nlohmann::json::parse(read(dir / "context.json"));
    suite_case c;
    c.req = sigv4::parse_http_request(read(dir / "request.txt"));
    c.params.creds.access_key_id = ctx["credentials"]["access_key_id"];
    c.params.creds.secret_access_key = ctx["credentials"]["secret_access_key"];
    c.params.creds.session_token = ctx["credentials"].value("token", "");
    c.params.region = ctx["region"];
    c.params.service = ctx["service"];
    c.params.time = sigv4::parse_amz_date(ctx["timestamp"].get<std::string>());
    c.params.normalize_path = ctx.value("normalize", true);
    c.params.sign_body = ctx.value("sign_body", false);
    c.params.omit_session_token = ctx.value("omit_session_token", false);
    return c;
}

// The expected files carry no trailing newline except the signed request; compare exactly.
std::string authorization_line(const std::string& signed_request) {
    std::istringstream in(signed_request);
    for (std::string line; std::getline(in, line);)
        if (line.starts_with("Authorization:")) return line.substr(14);
    return {};
}

class sigv4_suite : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST(sigv4_suite_data, has_every_published_case) {
    // 38 cases as distributed with aws-c-auth; fewer means the copy in the repo lost some.
    EXPECT_EQ(case_names().size(), 38u);
}

TEST_P(sigv4_suite, canonical_request_string_to_sign_and_authorization_match) {
    const fs::path dir = suite_dir() / GetParam();
    const suite_case c = load(GetParam());
    const sigv4::result r = sigv4::sign(c.req, c.params);
    EXPECT_EQ(r.canonical_request, read(dir / "header-canonical-request.txt"));
    EXPECT_EQ(r.string_to_sign, read(dir / "header-string-to-sign.txt"));
    EXPECT_EQ(r.signature, read(dir / "header-signature.txt"));
    EXPECT_EQ(r.authorization, authorization_line(read(dir / "header-signed-request.txt")));
    // Every header the expected signed request adds is among ours, with the same value.
    const std::string expected = read(dir / "header-signed-request.txt");
    for (const auto& h : r.add_headers)
        EXPECT_NE(expected.find(h.name + ":" + h.value + "\n"), std::string::npos) << h.name;
}

TEST_P(sigv4_suite, presigned_query_matches) {
    const fs::path dir = suite_dir() / GetParam();
    suite_case c = load(GetParam());
    const auto ctx = nlohmann::json::parse(read(dir / "context.json"));
    c.params.presign_expires_s = ctx.value("expiration_in_seconds", 3600);
    c.params.sign_body = false;  // a presigned request carries no x-amz-content-sha256 header
    const sigv4::result r = sigv4::sign(c.req, c.params);
    EXPECT_EQ(r.canonical_request, read(dir / "query-canonical-request.txt"));
    EXPECT_EQ(r.string_to_sign, read(dir / "query-string-to-sign.txt"));
    EXPECT_EQ(r.signature, read(dir / "query-signature.txt"));
    EXPECT_TRUE(r.add_headers.empty());
    // The expected request line carries the same parameters (in the same encoding).
    const std::string signed_request = read(dir / "query-signed-request.txt");
    const std::string line = signed_request.substr(0, signed_request.find('\n'));
    std::stringstream params(r.presigned_query);
    for (std::string kv; std::getline(params, kv, '&');) {
        if (kv.starts_with("X-Amz-")) {
            EXPECT_NE(line.find(kv), std::string::npos) << kv;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(published, sigv4_suite, ::testing::ValuesIn(case_names()),
                         [](const auto& param_info) {
                             std::string n = param_info.param;
                             for (char& ch : n)
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return n;
                         });

namespace {

sigv4::params example_params() {
    sigv4::params p;
    p.creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
    p.region = "us-east-1";
    p.service = "service";
    p.time = sigv4::parse_amz_date("20150830T123600Z");
    return p;
}

sigv4::request get_vanilla() {
    sigv4::request r;
    r.method = "GET";
    r.path = "/";
    r.headers = {{"Host", "example.amazonaws.com"}};
    return r;
}

}  // namespace

TEST(sigv4, request_without_host_is_rejected_naming_host) {
    auto req = get_vanilla();
    req.headers.clear();
    try {
        sigv4::sign(req, example_params());
        FAIL() << "signed a request without Host";
    } catch (const sigv4::sign_error& e) {
        EXPECT_NE(std::string(e.what()).find("Host"), std::string::npos) << e.what();
    }
}

TEST(sigv4, empty_host_value_is_rejected) {
    auto req = get_vanilla();
    req.headers = {{"Host", "   "}};
    EXPECT_THROW(sigv4::sign(req, example_params()), sigv4::sign_error);
}

TEST(sigv4, bad_dates_are_rejected_with_the_expected_form) {
    for (const char* bad :
         {"", "2015-08-30", "20150830T123600", "20151330T123600Z", "20150230T123600Z",
          "20150830T253600Z", "2015-08-30T12:36:00+02:00", "2015O830T123600Z"}) {
        try {
            sigv4::parse_amz_date(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const sigv4::sign_error& e) {
            EXPECT_NE(std::string(e.what()).find("YYYYMMDDTHHMMSSZ"), std::string::npos)
                << e.what();
        }
    }
}

// Found by fuzz/fuzz_sigv4: a date outside system_clock's range (1677-2262 in nanoseconds)
// overflowed when converted (undefined behaviour), from a request's own X-Amz-Date too.
TEST(sigv4, dates_outside_the_clock_range_are_rejected) {
    for (const char* bad : {"1007-08-30T12:36:00Z", "10070830T123600Z", "99991231T235959Z",
                            "00000101T000000Z", "1969-12-31T23:59:59Z"})
        EXPECT_THROW(sigv4::parse_amz_date(bad), sigv4::sign_error) << bad;
    auto req = get_vanilla();
    req.headers.push_back({"X-Amz-Date", "10070830T123600Z"});
    EXPECT_THROW(sigv4::sign(req, example_params()), sigv4::sign_error);
    EXPECT_EQ(sigv4::format_amz_date(sigv4::parse_amz_date("22001231T235959Z")),
              "22001231T235959Z");
}

TEST(sigv4, bad_x_amz_date_header_is_rejected) {
    auto req = get_vanilla();
    req.headers.push_back({"X-Amz-Date", "yesterday"});
    EXPECT_THROW(sigv4::sign(req, example_params()), sigv4::sign_error);
}

TEST(sigv4, x_amz_date_header_of_the_request_wins_over_params_time) {
    auto req = get_vanilla();
    req.headers.push_back({"X-Amz-Date", "20150830T123600Z"});
    auto p = example_params();
    p.time = sigv4::parse_amz_date("20200101T000000Z");
    const auto r = sigv4::sign(req, p);
    EXPECT_EQ(r.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    ASSERT_EQ(r.add_headers.size(), 1u);  // only Authorization: the date is already there
    EXPECT_EQ(r.add_headers[0].name, "Authorization");
}

TEST(sigv4, both_date_forms_parse_to_the_same_instant) {
    EXPECT_EQ(sigv4::parse_amz_date("2015-08-30T12:36:00Z"),
              sigv4::parse_amz_date("20150830T123600Z"));
    EXPECT_EQ(sigv4::format_amz_date(sigv4::parse_amz_date("2024-02-29T23:59:59Z")),
              "20240229T235959Z");
}

TEST(sigv4, missing_credentials_are_rejected) {
    auto p = example_params();
    p.creds.secret_access_key.clear();
    EXPECT_THROW(sigv4::sign(get_vanilla(), p), sigv4::sign_error);
}

TEST(sigv4, bad_method_path_and_header_name_are_rejected) {
    auto req = get_vanilla();
    req.method = "GE T";
    EXPECT_THROW(sigv4::sign(req, example_params()), sigv4::sign_error);
    req = get_vanilla();
    req.path = "relative";
    EXPECT_THROW(sigv4::sign(req, example_params()), sigv4::sign_error);
    req = get_vanilla();
    req.headers.push_back({"Bad Header", "x"});
    EXPECT_THROW(sigv4::sign(req, example_params()), sigv4::sign_error);
}

TEST(sigv4, malformed_raw_requests_are_rejected) {
    EXPECT_THROW(sigv4::parse_http_request(""), sigv4::sign_error);
    EXPECT_THROW(sigv4::parse_http_request("GET\n"), sigv4::sign_error);
    EXPECT_THROW(sigv4::parse_http_request("GET / HTTP/1.1\nNoColonHere\n"), sigv4::sign_error);
    EXPECT_THROW(sigv4::parse_http_request("GET / HTTP/1.1\n  folded-first\n"), sigv4::sign_error);
}

TEST(sigv4, s3_mode_keeps_path_as_is) {
    EXPECT_EQ(sigv4::canonical_path("/a//b/../c%20d", false, false), "/a//b/../c%20d");
    // Every other service encodes the wire path once more: %20 -> %2520, ':' -> %3A.
    EXPECT_EQ(sigv4::canonical_path("/fn%3Alive/x y", true, true), "/fn%253Alive/x%20y");
}

TEST(sigv4, path_normalization_follows_rfc3986) {
    EXPECT_EQ(sigv4::canonical_path("", true, true), "/");
    EXPECT_EQ(sigv4::canonical_path("/a/b/../c/./d", true, true), "/a/c/d");
    EXPECT_EQ(sigv4::canonical_path("/a/b/..", true, true), "/a/");
    EXPECT_EQ(sigv4::canonical_path("/../..", true, true), "/");
}

TEST(sigv4, query_is_decoded_reencoded_and_sorted_by_key_then_value) {
    EXPECT_EQ(sigv4::canonical_query("b=2&a=2&a=1&c"), "a=1&a=2&b=2&c=");
    EXPECT_EQ(sigv4::canonical_query("k=a+b&s=x%2fy&t=%7E"), "k=a%2Bb&s=x%2Fy&t=~");
    EXPECT_EQ(sigv4::canonical_query("&&"), "");
    EXPECT_EQ(sigv4::canonical_query("p=100%"), "p=100%25");
}

TEST(sigv4, signing_is_deterministic_and_secret_dependent) {
    const auto a = sigv4::sign(get_vanilla(), example_params());
    const auto b = sigv4::sign(get_vanilla(), example_params());
    EXPECT_EQ(a.authorization, b.authorization);
    auto p = example_params();
    p.creds.secret_access_key += "x";
    EXPECT_NE(sigv4::sign(get_vanilla(), p).signature, a.signature);
}

TEST(sigv4, known_sha256_and_hmac_vectors) {
    EXPECT_EQ(sigv4::sha256_hex(""),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // RFC 4231 test case 2
    EXPECT_EQ(sigv4::hex(sigv4::hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
