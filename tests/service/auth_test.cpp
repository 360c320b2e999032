// `lambench serve --auth sigv4`: with the AWS CLI, the AWS SDK for JavaScript, lambench's own
// client and raw HTTP, the right keys work and everything else gets AWS's 403 — a wrong secret
// (InvalidSignatureException), an unknown key (UnrecognizedClientException), no signature
// (MissingAuthenticationTokenException), a tampered body, clock skew — while the Runtime API
// stays unauthenticated (invokes still reach the function).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "aws/sigv4.hpp"
#include "harness.hpp"

using namespace lambench_test;
using json = nlohmann::json;
namespace sigv4 = lambench::aws::sigv4;

namespace {

const lambench::aws::credentials alice{"AKIDALICE", "alice/secret+key", ""};
const lambench::aws::credentials temp{"ASIATEMPORARY", "temporary-secret", "session-token-123"};

constexpr const char* mismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";
constexpr const char* bad_token = "The security token included in the request is invalid.";

struct run_result {
    int code = -1;
    std::string out, err;
};

run_result run(const std::string& cmd, const fs::path& scratch) {
    const fs::path err_file = scratch / "stderr.txt";
    run_result r;
    FILE* p = ::popen((cmd + " 2>" + err_file.string()).c_str(), "r");
    if (!p) return r;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
    const int status = ::pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_file(err_file);
    return r;
}

bool have(const std::string& tool) {
    return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

// An environment that gives the AWS tools exactly these credentials and nothing else.
std::string aws_env(const lambench::aws::credentials& c, const fs::path& home) {
    return "env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_REGION AWS_ACCESS_KEY_ID='" +
           c.access_key_id + "' AWS_SECRET_ACCESS_KEY='" + c.secret_access_key + "' " +
           (c.session_token.empty() ? "" : "AWS_SESSION_TOKEN='" + c.session_token + "' ") +
           "AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null "
           "AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true "
           "AWS_MAX_ATTEMPTS=1 AWS_PAGER= HOME=" +
           home.string() + " ";
}

class Auth : public ::testing::Test {
  protected:
    temp_dir tmp;
    fs::path code = make_code_dir(tmp.path());
    fs::path keys = tmp.path() / "keys.ini";

    void SetUp() override {
        write_file(
            keys, "# lambench serve --auth sigv4 keys\n[alice]\naws_access_key_id = " +
                      alice.access_key_id + "\naws_secret_access_key = " + alice.secret_access_key +
                      "\n\n[profile ci]\naws_access_key_id = " + temp.access_key_id +
                      "\naws_secret_access_key = " + temp.secret_access_key +
                      "\naws_session_token = " + temp.session_token + "\nregion = eu-west-1\n");
        fs::permissions(keys, fs::perms::owner_read | fs::perms::owner_write);
    }

    std::unique_ptr<service_process> start(std::vector<std::string> extra = {},
                                           std::map<std::string, std::string> env = {}) {
        if (extra.empty()) extra = {"--auth", "sigv4", "--credentials", keys.string()};
        return std::make_unique<service_process>(
            "[service]\nidle_timeout = 60\n" + function_block("auth-fn", "echo", code),
            std::move(extra), std::move(env));
    }

    // A request signed with `c` at `when`, sent with libcurl.
    static lambench::test_support::http_result signed_http(
        const service_process& s, const std::string& method, const std::string& target,
        const std::string& body, const lambench::aws::credentials& c,
        std::chrono::system_clock::time_point when = std::chrono::system_clock::now(),
        const std::string& send_body = "\x01") {
        sigv4::request r;
        r.method = method;
        const auto q = target.find('?');
        r.path = target.substr(0, q);
        if (q != std::string::npos) r.query = target.substr(q + 1);
        r.headers = {{"Host", "127.0.0.1:" + std::to_string(s.port())}};
        r.body = body;
        sigv4::params p;
        p.creds = c;
        p.region = "us-east-1";
        p.service = "lambda";
        p.time = when;
        std::vector<std::string> lines = {"Host: 127.0.0.1:" + std::to_string(s.port())};
        for (const auto& h : sigv4::sign(r, p).add_headers)
            lines.push_back(h.name + ": " + h.value);
        return lambench::test_support::http(method, s.url() + target,
                                            send_body == "\x01" ? body : send_body, lines);
    }
};

void expect_refusal(const lambench::test_support::http_result& r, const std::string& type,
                    const std::string& message_start) {
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(r.header("x-amzn-errortype"), type) << r.body;
    const auto j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j.value("message", "").substr(0, message_start.size()), message_start) << r.body;
}

}  // namespace

TEST_F(Auth, AwsCliWithTheRightKeysWorksWrongSecretAndUnknownKeyAreRefused) {
    if (!have("aws"))
        GTEST_SKIP() << "aws CLI not installed (scripts/install-deps installs awscli)";
    auto s = start();
    const std::string cli = " aws --endpoint-url " + s->url() + " --output json lambda ";

    auto list = run(aws_env(alice, tmp.path()) + cli + "list-functions", tmp.path());
    ASSERT_EQ(list.code, 0) << list.err;
    EXPECT_EQ(json::parse(list.out)["Functions"][0]["FunctionName"], "auth-fn");

    // A body, a qualifier in the path and the Invoke path through the sandbox's (unsigned)
    // Runtime API.
    const fs::path payload = tmp.path() / "payload.json", response = tmp.path() / "response.json";
    write_file(payload, R"({"text":"h\u00e9llo / +=&","n":7})");
    // v2 reads --payload as base64 unless told otherwise; v1 has no such option.
    const auto version = run("aws --version 2>&1", tmp.path());
    const std::string raw = version.out.find("aws-cli/2") != std::string::npos
                                ? "--cli-binary-format raw-in-base64-out "
                                : "";
    auto inv = run(aws_env(alice, tmp.path()) + cli + "invoke --function-name auth-fn:\\$LATEST " +
                       raw + "--payload file://" + payload.string() + " " + response.string(),
                   tmp.path());
    ASSERT_EQ(inv.code, 0) << inv.err;
    EXPECT_EQ(json::parse(read_file(response)), json::parse(read_file(payload)));

    // A zip upload (a large signed body) with temporary credentials and their session token.
    const fs::path zip = tmp.path() / "fn.zip";
    write_file(zip, make_zip({{"bootstrap", read_file(TESTFN_BIN), 0100755}}));
    auto create = run(aws_env(temp, tmp.path()) + cli +
                          "create-function --function-name cli-fn --runtime provided.al2023 "
                          "--handler echo --role arn:aws:iam::000000000000:role/x --zip-file "
                          "fileb://" +
                          zip.string(),
                      tmp.path());
    ASSERT_EQ(create.code, 0) << create.err;
    EXPECT_EQ(json::parse(create.out)["FunctionName"], "cli-fn");

    auto wrong = run(aws_env({alice.access_key_id, "not-alices-secret", ""}, tmp.path()) + cli +
                         "list-functions",
                     tmp.path());
    EXPECT_NE(wrong.code, 0);
    EXPECT_NE(wrong.err.find("(InvalidSignatureException)"), std::string::npos) << wrong.err;
    EXPECT_NE(wrong.err.find(mismatch), std::string::npos) << wrong.err;

    auto stranger = run(aws_env({"AKIDSTRANGER", alice.secret_access_key, ""}, tmp.path()) + cli +
                            "invoke --function-name auth-fn " + response.string(),
                        tmp.path());
    EXPECT_NE(stranger.code, 0);
    EXPECT_NE(stranger.err.find("(UnrecognizedClientException)"), std::string::npos)
        << stranger.err;
    EXPECT_NE(stranger.err.find(bad_token), std::string::npos) << stranger.err;

    // The temporary key without its token is not the temporary key.
    auto tokenless = run(aws_env({temp.access_key_id, temp.secret_access_key, ""}, tmp.path()) +
                             cli + "list-functions",
                         tmp.path());
    EXPECT_NE(tokenless.err.find("(UnrecognizedClientException)"), std::string::npos)
        << tokenless.err;

    // Signed for another region: AWS's scope message, naming ours.
    auto region =
        run(aws_env(alice, tmp.path()) + cli + "list-functions --region eu-west-1", tmp.path());
    EXPECT_NE(region.err.find("Credential should be scoped to a valid region, not 'eu-west-1'"),
              std::string::npos)
        << region.err;
}

TEST_F(Auth, AwsSdkForJavaScriptWithTheRightKeysWorksOthersAreRefused) {
    if (!have("node") || !fs::exists(fs::path(NODE_DIR) / "node_modules/@aws-sdk/client-lambda"))
        GTEST_SKIP() << "run scripts/install-deps (npm install in tests/service/node)";
    auto s = start();
    auto r = run("node " + std::string(NODE_DIR) + "/auth_check.mjs " + s->url() + " auth-fn '" +
                     alice.access_key_id + "' '" + alice.secret_access_key + "'",
                 tmp.path());
    ASSERT_EQ(r.code, 0) << r.err;
    const auto j = json::parse(r.out);
    EXPECT_EQ(j["functions"], json::array({"auth-fn"}));
    EXPECT_EQ(j["invokeStatus"], 200);
    EXPECT_EQ(json::parse(j["payload"].get<std::string>()),
              json::parse(R"({"from":"sdk","text":"h\u00e9llo / +=&"})"));
    EXPECT_EQ(j["wrongSecret"]["name"], "InvalidSignatureException");
    EXPECT_EQ(j["wrongSecret"]["status"], 403);
    EXPECT_EQ(j["wrongSecret"]["message"], mismatch);
    EXPECT_EQ(j["unknownKey"]["name"], "UnrecognizedClientException");
    EXPECT_EQ(j["unknownKey"]["status"], 403);
    EXPECT_EQ(j["unknownKey"]["message"], bad_token);
}

TEST_F(Auth, RawRequestsGetAwsErrorsAndTheServiceGoesOn) {
    auto s = start();
    const std::string list = "/2015-03-31/functions/";
    const std::string invoke = "/2015-03-31/functions/auth-fn/invocations";

    expect_refusal(lambench::test_support::http("GET", s->url() + list),
                   "MissingAuthenticationTokenException", "Missing Authentication Token");
    // Every route, the stats extension included.
    expect_refusal(lambench::test_support::http("GET", s->url() + "/2015-03-31/functions/auth-fn/"
                                                                  "lambench-stats"),
                   "MissingAuthenticationTokenException", "Missing Authentication Token");
    expect_refusal(lambench::test_support::http("POST", s->url() + invoke, "{}"),
                   "MissingAuthenticationTokenException", "Missing Authentication Token");
    expect_refusal(
        lambench::test_support::http("GET", s->url() + list, "", {"Authorization: Bearer abc.def"}),
        "IncompleteSignatureException", "Authorization header requires 'Credential'");
    expect_refusal(lambench::test_support::http("GET", s->url() + list, "",
                                                {"Authorization: AWS4-HMAC-SHA256 \xff\xfe"}),
                   "IncompleteSignatureException", "'\xef\xbf\xbd\xef\xbf\xbd' not a valid");

    auto ok = signed_http(*s, "POST", invoke, R"({"signed":true})", alice);
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.body, R"({"signed":true})");
    EXPECT_EQ(signed_http(*s, "GET", list + "?MaxItems=5", "", alice).status, 200);

    expect_refusal(signed_http(*s, "POST", invoke, R"({"signed":true})", alice,
                               std::chrono::system_clock::now(), R"({"signed":false})"),
                   "InvalidSignatureException", mismatch);
    expect_refusal(signed_http(*s, "POST", invoke, "{}", alice,
                               std::chrono::system_clock::now() - std::chrono::minutes(6)),
                   "InvalidSignatureException", "Signature expired: ");
    expect_refusal(signed_http(*s, "POST", invoke, "{}", alice,
                               std::chrono::system_clock::now() + std::chrono::minutes(6)),
                   "InvalidSignatureException", "Signature not yet current: ");
    expect_refusal(signed_http(*s, "GET", list, "", {"AKIDSTRANGER", "x", ""}),
                   "UnrecognizedClientException", bad_token);

    // A stranger announcing 50 MB is refused on its header: the answer comes without the body.
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        ASSERT_GE(fd, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(s->port()));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        timeval tv{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        const std::string head =
            "POST " + invoke + " HTTP/1.1\r\nHost: x\r\nX-Amz-Date: " +
            sigv4::format_amz_date(std::chrono::system_clock::now()) +
            "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDSTRANGER/" +
            sigv4::format_amz_date(std::chrono::system_clock::now()).substr(0, 8) +
            "/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=00\r\n"
            "Content-Length: 50000000\r\n\r\n";
        ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(head.size()));
        char buf[2048];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        ::close(fd);
        ASSERT_GT(n, 0) << "no answer before the body";
        const std::string answer(buf, static_cast<std::size_t>(n));
        EXPECT_EQ(answer.rfind("HTTP/1.1 403", 0), 0u) << answer;
        EXPECT_NE(answer.find("UnrecognizedClientException"), std::string::npos) << answer;
    }

    // After all that, still serving.
    EXPECT_EQ(signed_http(*s, "POST", invoke, "[1]", temp).body, "[1]");
    EXPECT_EQ(s->stop(), 0);
}

TEST_F(Auth, WithoutAKeyFileTheCredentialChainsKeyIsTheOneAndLambenchInvokeUsesIt) {
    const std::map<std::string, std::string> env = {
        {"AWS_ACCESS_KEY_ID", "AKIDCHAIN"}, {"AWS_SECRET_ACCESS_KEY", "chain-secret"},
        {"AWS_SESSION_TOKEN", ""},          {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"},
        {"AWS_CONFIG_FILE", "/dev/null"},
    };
    auto s = start({"--auth", "sigv4"}, env);
    EXPECT_EQ(
        signed_http(*s, "GET", "/2015-03-31/functions/", "", {"AKIDCHAIN", "chain-secret", ""})
            .status,
        200);
    expect_refusal(signed_http(*s, "GET", "/2015-03-31/functions/", "", alice),
                   "UnrecognizedClientException", bad_token);

    const std::string invoke = std::string(LAMBENCH_BIN) +
                               " invoke auth-fn --payload '{\"a\":1}' "
                               "--endpoint " +
                               s->url();
    auto r = run(aws_env({"AKIDCHAIN", "chain-secret", ""}, tmp.path()) + invoke, tmp.path());
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.substr(0, 7), R"({"a":1})") << r.out;
    r = run(aws_env({"AKIDCHAIN", "wrong", ""}, tmp.path()) + invoke, tmp.path());
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("InvalidSignatureException"), std::string::npos) << r.err;
}

TEST_F(Auth, NonLoopbackListenIsAllowedWithAuth) {
    lambench::test_support::serve_options o;
    o.listen = "0.0.0.0:0";
    o.extra_args = {"--auth", "sigv4", "--credentials", keys.string()};
    lambench::test_support::serve_process s(LAMBENCH_BIN, o);
    EXPECT_EQ(s.url().rfind("http://0.0.0.0:", 0), 0u) << s.url();
    const std::string local = "http://127.0.0.1:" + std::to_string(s.port());
    const auto r = lambench::test_support::http("GET", local + "/2015-03-31/functions/");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.header("x-amzn-errortype"), "MissingAuthenticationTokenException");
}

TEST_F(Auth, BadKeySetupsRefuseToStartSayingWhy) {
    auto serve = [&](const std::string& args) {
        int status = 0;
        const std::string out = run_capture(
            "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_PROFILE HOME=" +
                tmp.path().string() +
                " AWS_SHARED_CREDENTIALS_FILE=/dev/null "
                "AWS_CONFIG_FILE=/dev/null timeout 20 " +
                LAMBENCH_BIN + " serve " +
                (args.find("--listen") == std::string::npos ? "--listen 127.0.0.1:0 " : "") +
                "--state-dir " + (tmp.path() / "st").string() + " " + args + " 2>&1",
            &status);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << args << "\n" << out;
        return out;
    };
    EXPECT_NE(serve("--auth sigv4").find("--auth sigv4 needs keys"), std::string::npos);
    const fs::path half = tmp.path() / "half.ini";
    write_file(half,
               "[ok]\naws_access_key_id = A\naws_secret_access_key = B\n[broken]\n"
               "aws_access_key_id = C\n");
    EXPECT_NE(serve("--auth sigv4 --credentials " + half.string())
                  .find("[broken] needs both aws_access_key_id and aws_secret_access_key"),
              std::string::npos);
    const fs::path twice = tmp.path() / "twice.ini";
    write_file(twice,
               "[a]\naws_access_key_id = A\naws_secret_access_key = B\n[b]\n"
               "aws_access_key_id = A\naws_secret_access_key = other\n");
    EXPECT_NE(serve("--auth sigv4 --credentials " + twice.string()).find("appears twice"),
              std::string::npos);
    const fs::path empty = tmp.path() / "empty.ini";
    write_file(empty, "# nothing\n");
    EXPECT_NE(serve("--auth sigv4 --credentials " + empty.string()).find("no keys"),
              std::string::npos);
    EXPECT_NE(serve("--credentials " + keys.string()).find("only used with --auth sigv4"),
              std::string::npos);
    EXPECT_NE(serve("--auth basic").find("--auth"), std::string::npos);
    // Without --auth, a non-loopback address is still refused, and the refusal names --auth.
    EXPECT_NE(serve("--listen 0.0.0.0:0").find("--auth sigv4"), std::string::npos);
}
