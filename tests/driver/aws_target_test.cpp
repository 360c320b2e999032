// The aws target against a scripted Lambda (the one thing mocked: the AWS cloud) on loopback:
// what it sends to create or update a function, and how it retries throttles (429) and
// conflicts (409) with backoff and counts them. The same target against the real local service
// is in cli_test.cpp (Run.AwsTarget*).
#include "driver/aws_target.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "aws/sigv4.hpp"
#include "common/base64.hpp"
#include "driver/measure.hpp"
#include "http_test_server.hpp"

using namespace lambench::driver;
using lambench::aws::test::http_request;
using lambench::aws::test::http_response;
using lambench::aws::test::http_test_server;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* report =
    "START RequestId: r1 Version: $LATEST\nEND RequestId: r1\nREPORT RequestId: r1\tDuration: "
    "2.50 ms\tBilled Duration: 3 ms\tMemory Size: 256 MB\tMax Memory Used: 20 MB\tInit Duration: "
    "10.00 ms\n";

// base64 of the raw SHA-256, as Lambda's CodeSha256.
std::string lambda_sha256(const std::string& bytes) {
    const std::string hex = lambench::aws::sigv4::sha256_hex(bytes);
    std::string raw;
    for (std::size_t i = 0; i < hex.size(); i += 2)
        raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return lambench::common::base64_encode(raw);
}

http_response error(int status, const std::string& type, const std::string& message) {
    return {status,
            {{"X-Amzn-ErrorType", type}, {"Content-Type", "application/json"}},
            json{{"Type", "User"}, {"message", message}}.dump()};
}

// Lambda as the target sees it, with failures scripted per operation.
struct fake_lambda {
    std::mutex m;
    bool exists = false;
    std::string code_sha = "old", architecture = "x86_64";
    int throttle_invokes = 0, conflict_updates = 0, throttle_gets = 0;
    int pending_polls = 0;  // GetFunctionConfiguration answers Pending this many times
    bool with_arn = false;  // the configuration carries FunctionArn (tags are then checked)
    std::map<std::string, std::string> tags;

    http_response operator()(const http_request& r) {
        std::lock_guard lock(m);
        const std::string fn = "/2015-03-31/functions/lb-hello-static";
        const std::string arn = "arn:aws:lambda:eu-west-1:123456789012:function:lb-hello-static";
        if (r.method == "GET" && r.path == fn + "/configuration") {
            if (throttle_gets > 0 && throttle_gets--)
                return error(429, "TooManyRequestsException", "Rate exceeded");
            if (!exists) return error(404, "ResourceNotFoundException", "Function not found");
            json c = {{"FunctionName", "lb-hello-static"},
                      {"CodeSha256", code_sha},
                      {"Architectures", {architecture}},
                      {"State", pending_polls > 0 ? "Pending" : "Active"}};
            if (with_arn) c["FunctionArn"] = arn;
            if (pending_polls > 0)
                --pending_polls;
            else
                c["LastUpdateStatus"] = "Successful";
            return {200, {{"Content-Type", "application/json"}}, c.dump()};
        }
        if (r.path == "/2017-03-31/tags/" + lambench::aws::sigv4::uri_encode(arn, true)) {
            if (r.method == "GET") {
                json body = json::object();
                body["Tags"] = tags;
                return {200, {{"Content-Type", "application/json"}}, body.dump()};
            }
            if (r.method == "POST") {
                const json body = json::parse(r.body);
                for (const auto& [k, v] : body.at("Tags").items()) tags[k] = v.get<std::string>();
                return {204, {}, ""};
            }
        }
        if (r.method == "POST" && r.path == "/2015-03-31/functions") {
            exists = true;
            pending_polls = 1;
            return {201, {{"Content-Type", "application/json"}}, R"({"State":"Pending"})"};
        }
        if (r.method == "PUT" && (r.path == fn + "/configuration" || r.path == fn + "/code")) {
            if (conflict_updates > 0 && conflict_updates--)
                return error(409, "ResourceConflictException",
                             "The operation cannot be performed at this time. An update is in "
                             "progress for resource: arn:aws:lambda:us-east-1:1:function:x");
            return {200,
                    {{"Content-Type", "application/json"}},
                    R"({"LastUpdateStatus":"InProgress"})"};
        }
        if (r.method == "POST" && r.path == fn + "/invocations") {
            if (throttle_invokes > 0 && throttle_invokes--)
                return error(429, "TooManyRequestsException", "Rate Exceeded.");
            return {200,
                    {{"X-Amz-Log-Result", lambench::common::base64_encode(report)},
                     {"X-Amz-Executed-Version", "$LATEST"}},
                    "{}"};
        }
        return error(404, "UnknownOperationException", r.method + " " + r.path);
    }
};

struct fixture : ::testing::Test {
    fake_lambda lambda;
    http_test_server server{[this](const http_request& r) { return lambda(r); }};
    fs::path dir = fs::temp_directory_path() /
                   ("lambench-aws-target-" + std::to_string(::getpid()) + "-" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());

    void SetUp() override {
        fs::create_directories(dir / "artifact");
        std::ofstream(dir / "artifact/bootstrap") << "#!/bin/sh\n";
    }
    void TearDown() override { fs::remove_all(dir); }

    target_options options() const {
        target_options o;
        o.spec = "aws";
        o.region = "eu-west-1";
        o.aws.stack = "lb";
        o.aws.endpoint_url = server.endpoint();
        o.aws.role_arn = "arn:aws:iam::123456789012:role/bench";
        o.aws.retry_base = std::chrono::milliseconds(1);
        o.aws.retry_cap = std::chrono::milliseconds(5);
        return o;
    }
    deploy_spec spec() const {
        deploy_spec s;
        s.info = {"hello", "static", "hello", "provided.al2023", "x86_64"};
        s.artifact = (dir / "artifact").string();
        s.timeout_s = 10;
        s.environment = {{"A", "b"}};
        return s;
    }
    std::vector<http_request> requests(const std::string& method, const std::string& suffix) {
        std::vector<http_request> out;
        for (auto& r : server.requests())
            if (r.method == method && r.path.ends_with(suffix)) out.push_back(r);
        return out;
    }
};

}  // namespace

TEST(AwsTargetNames, FunctionNameRuntimeEndpointAndRegion) {
    EXPECT_EQ(aws_function_name("lambench", {"items-libpq", "static", "", "", ""}),
              "lambench-items-libpq-static");
    EXPECT_EQ(aws_function_name("s", {"a.b", "c/d", "", "", ""}), "s-a-b-c-d");
    EXPECT_EQ(aws_function_name(std::string(70, 'x'), {"f", "p", "", "", ""}).size(), 64u);
    auto node =
        aws_runtime_for({"node-hello", "jit", "", "provided.al2023", "x86_64"}, "bootstrap");
    EXPECT_EQ(node.runtime, "nodejs20.x");
    EXPECT_EQ(node.handler, "index.handler");
    auto cpp = aws_runtime_for({"hello", "static", "", "provided.al2023", "x86_64"}, "bootstrap");
    EXPECT_EQ(cpp.runtime, "provided.al2023");
    EXPECT_EQ(cpp.handler, "bootstrap");

    aws_options o;
    ::setenv("AWS_ENDPOINT_URL", "http://generic:1", 1);
    ::setenv("AWS_ENDPOINT_URL_LAMBDA", "http://lambda:2", 1);
    EXPECT_EQ(aws_endpoint_override(o), "http://lambda:2");
    ::unsetenv("AWS_ENDPOINT_URL_LAMBDA");
    EXPECT_EQ(aws_endpoint_override(o), "http://generic:1");
    o.endpoint_url = "http://flag:3";
    EXPECT_EQ(aws_endpoint_override(o), "http://flag:3");
    ::unsetenv("AWS_ENDPOINT_URL");
    EXPECT_EQ(aws_endpoint_override(aws_options{}), "");
}

TEST(AwsTargetSetup, NoRoleAndNoStackIsRefusedSayingWhatToDo) {
    target_options o;
    o.spec = "aws";
    o.region = "us-east-1";
    o.aws.endpoint_url = "http://127.0.0.1:9";
    try {
        make_aws_target(o);
        FAIL() << "a target without a role was made";
    } catch (const target_error& e) {
        EXPECT_EQ(e.type, "Target.Unavailable");
        EXPECT_NE(std::string(e.what()).find("--role"), std::string::npos) << e.what();
    }
}

TEST(AwsTargetSetup, DatabaseSuiteWithoutStackIsRefused) {
    target_options o;
    o.spec = "aws";
    o.region = "us-east-1";
    try {
        aws_database_url(o);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("lambench aws deploy"), std::string::npos);
    }
    // With a stack: its outputs make the URL (no password in it).
    o.aws.stack_lookup = [](const std::string& stack, const std::string& region) {
        EXPECT_EQ(stack, "lambench");
        EXPECT_EQ(region, "us-east-1");
        aws_stack_outputs so;
        so.db_host = "db.example";
        so.db_port = 5433;
        so.db_name = "lambench";
        so.db_user = "bench";
        return std::optional(so);
    };
    EXPECT_EQ(aws_database_url(o), "postgresql://bench@db.example:5433/lambench");
}

TEST_F(fixture, CreatesAMissingFunctionTaggedWithRoleAndVpcThenWaitsForActive) {
    auto o = options();
    o.aws.subnet_ids = {"subnet-1", "subnet-2"};
    o.aws.security_group_ids = {"sg-9"};
    o.aws.stack = "lb";
    auto t = make_aws_target(o);
    t->deploy(spec(), 256);
    auto creates = requests("POST", "/2015-03-31/functions");
    ASSERT_EQ(creates.size(), 1u);
    auto body = json::parse(creates[0].body);
    EXPECT_EQ(body["FunctionName"], "lb-hello-static");
    EXPECT_EQ(body["Role"], "arn:aws:iam::123456789012:role/bench");
    EXPECT_EQ(body["Runtime"], "provided.al2023");
    EXPECT_EQ(body["MemorySize"], 256);
    EXPECT_EQ(body["Timeout"], 10);
    EXPECT_EQ(body["Tags"], json({{"lambench:stack", "lb"}}));
    EXPECT_EQ(body["VpcConfig"]["SubnetIds"], json({"subnet-1", "subnet-2"}));
    EXPECT_EQ(body["VpcConfig"]["SecurityGroupIds"], json({"sg-9"}));
    EXPECT_EQ(body["Environment"]["Variables"], json({{"A", "b"}}));
    // Signed for the region asked for.
    EXPECT_NE(creates[0].header("authorization").find("/eu-west-1/lambda/aws4_request"),
              std::string::npos);
    // Pending once, then Active: polled until then.
    EXPECT_GE(requests("GET", "/configuration").size(), 3u);
    EXPECT_TRUE(requests("PUT", "/code").empty());
}

TEST_F(fixture, UploadsCodeOnlyWhenItsSha256Differs) {
    lambda.exists = true;
    auto t = make_aws_target(options());
    t->deploy(spec(), 128);
    ASSERT_EQ(requests("PUT", "/code").size(), 1u) << "CodeSha256 'old' differs from the zip's";
    // The zip is deterministic: once Lambda holds its bytes, deploying again uploads nothing.
    const auto code = json::parse(requests("PUT", "/code")[0].body);
    const auto zip = lambench::common::base64_decode(code["ZipFile"].get<std::string>());
    ASSERT_TRUE(zip);
    {
        std::lock_guard lock(lambda.m);
        lambda.code_sha = lambda_sha256(*zip);  // what Lambda reports as CodeSha256
    }
    t.reset();  // the test server serves one connection at a time
    auto again = make_aws_target(options());
    again->deploy(spec(), 128);
    EXPECT_EQ(requests("PUT", "/code").size(), 1u) << "the same code was uploaded again";
    auto puts = requests("PUT", "/configuration");
    ASSERT_EQ(puts.size(), 2u);
    auto cfg = json::parse(puts[0].body);
    EXPECT_EQ(cfg["Role"], "arn:aws:iam::123456789012:role/bench");
    EXPECT_EQ(cfg["Handler"], "bootstrap");
    EXPECT_EQ(cfg["MemorySize"], 128);
    EXPECT_TRUE(requests("POST", "/2015-03-31/functions").empty());
}

TEST_F(fixture, ThrottledInvokesAreRetriedAndCountedOnTheSample) {
    lambda.exists = true;
    auto t = make_aws_target(options());
    t->deploy(spec(), 256);
    lambda.throttle_invokes = 3;
    auto out = t->invoke("{}");
    EXPECT_TRUE(out.ok) << out.error_type << ": " << out.error_message;
    EXPECT_EQ(out.throttled_retries, 3);
    EXPECT_EQ(out.conflict_retries, 0);
    ASSERT_TRUE(out.report);
    EXPECT_DOUBLE_EQ(out.report->duration_ms, 2.5);
    EXPECT_DOUBLE_EQ(*out.report->init_ms, 10.0);
    EXPECT_EQ(requests("POST", "/invocations").size(), 4u);
    // The next sample starts counting afresh.
    EXPECT_EQ(t->invoke("{}").throttled_retries, 0);
}

TEST_F(fixture, ConflictingUpdatesAreRetriedAndCountedOnTheNextSample) {
    lambda.exists = true;
    auto t = make_aws_target(options());
    t->deploy(spec(), 256);
    lambda.conflict_updates = 2;
    lambda.throttle_gets = 1;
    t->force_cold(7);
    auto last = requests("PUT", "/configuration").back();
    EXPECT_EQ(json::parse(last.body)["Environment"]["Variables"]["LAMBENCH_COLD"], "7");
    auto out = t->invoke("{}");
    EXPECT_TRUE(out.ok);
    EXPECT_EQ(out.conflict_retries, 2);
    EXPECT_EQ(out.throttled_retries, 1);
    const sample s = make_sample(spec().info, 256, phase::cold, 0, out);
    EXPECT_EQ(s.conflict_retries, 2);
    EXPECT_NE(to_json_line(s).find("\"conflict_retries\":2"), std::string::npos);
}

TEST_F(fixture, GivesUpAfterTheLastAttemptWithTheErrorAsAWSSentIt) {
    lambda.exists = true;
    auto o = options();
    o.aws.attempts = 3;
    auto t = make_aws_target(o);
    t->deploy(spec(), 256);
    lambda.throttle_invokes = 100;
    auto out = t->invoke("{}");
    EXPECT_FALSE(out.ok);
    EXPECT_EQ(out.error_type, "TooManyRequestsException");
    EXPECT_NE(out.error_message.find("Rate Exceeded."), std::string::npos) << out.error_message;
    EXPECT_EQ(out.throttled_retries, 2);
    EXPECT_EQ(requests("POST", "/invocations").size(), 3u);
    lambda.conflict_updates = 100;
    try {
        t->set_memory(512);
        FAIL() << "an update refused every time must fail";
    } catch (const target_error& e) {
        EXPECT_EQ(e.type, "ResourceConflictException");
        EXPECT_NE(std::string(e.what()).find("An update is in progress"), std::string::npos);
    }
}

TEST_F(fixture, BackoffIsExponentialWithJitterAndCapped) {
    // 6 throttles with a 20 ms base and a 40 ms cap: each wait is at most 20, 40, 40, 40, 40,
    // 40 ms (full jitter, so possibly less): the whole retry takes well under 6 x 40 ms plus
    // the calls, and never longer than the cap allows.
    lambda.exists = true;
    auto o = options();
    o.aws.retry_base = std::chrono::milliseconds(20);
    o.aws.retry_cap = std::chrono::milliseconds(40);
    auto t = make_aws_target(o);
    t->deploy(spec(), 256);
    lambda.throttle_invokes = 6;
    const auto t0 = std::chrono::steady_clock::now();
    auto out = t->invoke("{}");
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_TRUE(out.ok);
    EXPECT_EQ(out.throttled_retries, 6);
    EXPECT_LT(waited, std::chrono::milliseconds(220 + 2000)) << "waits exceed the cap";
}

TEST_F(fixture, AnExistingFunctionWithoutTheStackTagIsTaggedSoDestroyFindsIt) {
    lambda.exists = true;
    lambda.with_arn = true;
    lambda.tags = {{"owner", "someone"}};
    make_aws_target(options())->deploy(spec(), 128);
    // The ARN is one path segment, its ':' percent-encoded.
    const std::string tags_path =
        "/2017-03-31/tags/"
        "arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Alb-hello-static";
    ASSERT_EQ(requests("POST", tags_path).size(), 1u);
    EXPECT_EQ(json::parse(requests("POST", tags_path)[0].body)["Tags"],
              json({{"lambench:stack", "lb"}}));
    EXPECT_EQ(lambda.tags.at("owner"), "someone") << "other tags are left alone";
    // Tagged now: the next deploy only reads the tags.
    make_aws_target(options())->deploy(spec(), 128);
    EXPECT_EQ(requests("GET", tags_path).size(), 2u);
    EXPECT_EQ(requests("POST", tags_path).size(), 1u);
}

// The aws target's n/a: artifact-check decides, Node.js rows (a managed runtime) are not
// checked, an artifact already SKIPPED keeps its own reason.
TEST(AwsTargetPlan, ArtifactsThatCannotRunOnAl2023AreNotApplicable) {
    const fs::path root =
        fs::temp_directory_path() / ("lambench-aws-na-" + std::to_string(::getpid()));
    fs::remove_all(root);
    auto put = [&](const std::string& rel, const std::string& text, bool exec) {
        fs::create_directories((root / rel).parent_path());
        std::ofstream(root / rel) << text;
        if (exec) fs::permissions(root / rel, fs::perms::owner_all, fs::perm_options::add);
    };
    put("hello/static/bootstrap", "#!/bin/sh\necho hi\n", true);
    put("hello/shared/bootstrap", "#!/bin/sh\necho hi\n", false);  // not executable
    put("hello/bundled/SKIPPED", "no loader here\n", false);
    put("node-hello/jit/index.js", "exports.handler = async () => 1;\n", false);
    fs::create_directories(root / "items/static/bin");  // what the build leaves before building
    suite s = parse_suite(R"(name = "na"
memory = [128]
[[function]]
name = "hello"
profiles = ["static", "shared", "bundled"]
[[function]]
name = "node-hello"
profiles = ["jit"]
[[function]]
name = "items"
profiles = ["static"]
)",
                          "na.toml");
    run_plan plan = make_plan(s, root.string(), probe_artifact);
    ASSERT_EQ(plan.variants.size(), 5u);
    EXPECT_EQ(mark_unrunnable_on_aws(plan), 1);
    EXPECT_EQ(plan.variants[0].state.status, artifact_status::present);
    EXPECT_EQ(plan.variants[1].state.status, artifact_status::skipped);
    EXPECT_EQ(plan.variants[1].state.skip_reason,
              "n/a on provided.al2023: bootstrap is not executable");
    EXPECT_EQ(plan.variants[2].state.skip_reason, "no loader here");
    EXPECT_EQ(plan.variants[3].state.status, artifact_status::present) << "nodejs20.x runs it";
    EXPECT_EQ(plan.variants[4].state.status, artifact_status::missing) << "not built";
    fs::remove_all(root);
}
