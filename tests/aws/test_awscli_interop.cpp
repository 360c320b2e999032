// Interop with an independent SigV4 implementation: the AWS CLI (botocore) sends Lambda
// requests to a local server, and our signer must compute the very signature botocore put in
// the Authorization header — for plain names, qualifiers and ARNs (double-encoded ':'),
// query strings and JSON bodies. Agreement here is what makes real AWS accept our requests.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/sigv4.hpp"
#include "http_test_server.hpp"
#include "test_util.hpp"

using namespace lambench::aws;
using test::http_request;
using test::http_response;
using test::http_test_server;
using json = nlohmann::json;

namespace {

const credentials cli_creds{"AKIDINTEROP", "interop/secret+key/0123456789",
                            "interop-session-token"};

// Recompute the signature of a received request with our signer (see test_lambda_client.cpp).
std::string verify(const http_request& req) {
    const std::string auth = req.header("authorization");
    const auto sh = auth.find("SignedHeaders=");
    if (sh == std::string::npos) return "no SignedHeaders in '" + auth + "'";
    const std::string signed_list = auth.substr(sh + 14, auth.find(',', sh) - sh - 14);
    sigv4::request r{req.method, req.path, req.query, {}, req.body};
    std::stringstream names(signed_list);
    for (std::string name; std::getline(names, name, ';');) {
        for (const auto& [n, v] : req.headers) {
            std::string l = n;
            for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (l == name) r.headers.push_back({n, v});
        }
    }
    const auto cred = auth.find("Credential=");
    const std::string scope = auth.substr(cred + 11, auth.find(',', cred) - cred - 11);
    // AKID/date/region/service/aws4_request
    std::vector<std::string> parts;
    std::stringstream sc(scope);
    for (std::string p; std::getline(sc, p, '/');) parts.push_back(p);
    if (parts.size() != 5) return "bad scope " + scope;
    sigv4::params p;
    p.creds = cli_creds;
    p.region = parts[2];
    p.service = parts[3];
    const auto ours = sigv4::sign(r, p);
    return ours.authorization == auth ? "" : "ours " + ours.authorization + "\ncli  " + auth;
}

int run_cli(const std::string& endpoint, const std::string& args, const test::temp_dir& dir) {
    const std::string cmd =
        "env -u AWS_PROFILE AWS_ACCESS_KEY_ID=" + cli_creds.access_key_id +
        " AWS_SECRET_ACCESS_KEY='" + cli_creds.secret_access_key +
        "' AWS_SESSION_TOKEN=" + cli_creds.session_token +
        " AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=1" +
        " AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null HOME=" +
        dir.path().string() + " aws --endpoint-url " + endpoint + " --region eu-west-1 lambda " +
        args + " > " + (dir.path() / "out").string() + " 2>&1";
    return std::system(cmd.c_str());
}

class awscli_interop : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::system("command -v aws >/dev/null 2>&1") != 0)
            GTEST_SKIP() << "aws CLI not installed (scripts/install-deps installs awscli)";
    }
};

}  // namespace

TEST_F(awscli_interop, our_signer_reproduces_botocore_signatures) {
    http_test_server server([](const http_request& r) {
        if (r.path.ends_with("/invocations"))
            return http_response{200, {{"X-Amz-Executed-Version", "$LATEST"}}, R"({"ok":true})"};
        if (r.method == "GET" && r.path == "/2015-03-31/functions/")
            return http_response{200,
                                 {{"Content-Type", "application/json"}},
                                 R"({"Functions":[],"NextMarker":null})"};
        return http_response{200,
                             {{"Content-Type", "application/json"}},
                             R"({"FunctionName":"fn","MemorySize":128})"};
    });
    test::temp_dir dir;
    const std::string payload = (dir.path() / "payload.json").string();
    std::FILE* f = std::fopen(payload.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(R"({"category": 7, "limit": 10, "text": "h\u00e9llo / +=&"})", f);
    std::fclose(f);

    const char* const calls[] = {
        "invoke --function-name fn --payload file://",
        "invoke --function-name fn:live --invocation-type Event --payload file://",
        "invoke --function-name arn:aws:lambda:eu-west-1:123456789012:function:fn --log-type Tail "
        "--payload file://",
        "get-function-configuration --function-name fn --qualifier 7",
        "list-functions --max-items 5 --function-version ALL",
        "update-function-configuration --function-name fn --memory-size 512 --environment "
        "Variables={A=b}",
    };
    for (const char* call : calls) {
        std::string args = call;
        if (args.ends_with("file://"))
            args += payload + " " + (dir.path() / "response.json").string();
        const int rc = run_cli(server.endpoint(), args, dir);
        std::ifstream out(dir.path() / "out");
        std::stringstream ss;
        ss << out.rdbuf();
        EXPECT_EQ(rc, 0) << args << "\n" << ss.str();
    }
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), std::size(calls));
    for (const auto& r : reqs) {
        SCOPED_TRACE(r.method + " " + r.target);
        EXPECT_EQ(r.header("x-amz-security-token"), cli_creds.session_token);
        EXPECT_EQ(verify(r), "");
        // And the server side (what `lambench serve --auth sigv4` runs) accepts what botocore
        // sent, and only with botocore's secret.
        sigv4::request received{r.method, r.path, r.query, {}, r.body};
        for (const auto& [n, v] : r.headers) received.headers.push_back({n, v});
        sigv4::verify_options o;
        o.region = "eu-west-1";
        o.service = "lambda";
        o.lookup = [](std::string_view id) {
            return id == cli_creds.access_key_id ? &cli_creds : nullptr;
        };
        const auto ok = sigv4::verify(received, o);
        EXPECT_TRUE(ok.ok()) << ok.error_type << ": " << ok.message;
        const credentials other{cli_creds.access_key_id, "another-secret", cli_creds.session_token};
        o.lookup = [&other](std::string_view) { return &other; };
        EXPECT_EQ(sigv4::verify(received, o).error_type, "InvalidSignatureException");
    }
    // The shapes the CLI produced are the ones our client produces.
    EXPECT_EQ(reqs[1].path, "/2015-03-31/functions/fn%3Alive/invocations");
    EXPECT_EQ(reqs[2].path,
              "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Afn/"
              "invocations");
    EXPECT_EQ(reqs[3].query, "Qualifier=7");
}
