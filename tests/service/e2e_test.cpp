// End-to-end: the real AWS CLI, the real AWS SDK for JavaScript, the official Node.js runtime
// interface client, and the lambench CLI itself, all against a real `lambench serve`.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "harness.hpp"

using namespace lambench_test;
using json = nlohmann::json;

namespace {

struct run_result {
    int code = -1;
    std::string out, err;
};

// Runs a shell command line; stdout and stderr captured separately.
run_result run(const std::string& cmd, const fs::path& scratch) {
    fs::path err_file = scratch / "stderr.txt";
    run_result r;
    FILE* p = ::popen((cmd + " 2>" + err_file.string()).c_str(), "r");
    if (!p) return r;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int status = ::pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = read_file(err_file);
    return r;
}

std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

bool have(const std::string& tool) {
    return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

class EndToEnd : public ::testing::Test {
  protected:
    temp_dir tmp;
    fs::path code = make_code_dir(tmp.path());
};

TEST_F(EndToEnd, AwsCliCreatesInvokesUpdatesListsAndDeletes) {
    if (!have("aws"))
        GTEST_SKIP() << "aws CLI not installed (scripts/install-deps installs awscli)";
    service_process s("[service]\nidle_timeout = 60\n");
    fs::path zip = tmp.path() / "fn.zip";
    write_file(zip, make_zip({{"bootstrap", read_file(TESTFN_BIN), 0100755}}));
    std::string env =
        "AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_DEFAULT_REGION=us-east-1 "
        "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= ";
    std::string aws = env + "aws --endpoint-url " + s.url() + " --output json lambda ";
    // v2 reads --payload as base64 unless told otherwise; v1 has no such option.
    bool v2 = run("aws --version", tmp.path()).out.find("aws-cli/2") != std::string::npos ||
              run("aws --version", tmp.path()).err.find("aws-cli/2") != std::string::npos;
    std::string raw = v2 ? " --cli-binary-format raw-in-base64-out" : "";

    auto c = run(
        aws +
            "create-function --function-name cli-fn --runtime provided.al2023 --handler echo "
            "--role arn:aws:iam::000000000000:role/lambench --memory-size 256 --zip-file fileb://" +
            zip.string(),
        tmp.path());
    ASSERT_EQ(c.code, 0) << c.err;
    auto cj = json::parse(c.out);
    EXPECT_EQ(cj["FunctionName"], "cli-fn");
    EXPECT_EQ(cj["MemorySize"], 256);
    EXPECT_EQ(cj["State"], "Active");

    fs::path out = tmp.path() / "out.json";
    auto i = run(aws + "invoke --function-name cli-fn --log-type Tail --payload " +
                     quote(R"({"via":"cli"})") + raw + " " + out.string(),
                 tmp.path());
    ASSERT_EQ(i.code, 0) << i.err;
    auto ij = json::parse(i.out);
    EXPECT_EQ(ij["StatusCode"], 200);
    EXPECT_EQ(ij["ExecutedVersion"], "$LATEST");
    EXPECT_EQ(read_file(out), R"({"via":"cli"})");
    std::string log = unbase64(ij["LogResult"].get<std::string>());
    EXPECT_NE(log.find("REPORT RequestId: "), std::string::npos) << log;
    EXPECT_NE(log.find("Init Duration: "), std::string::npos) << log;

    auto u = run(
        aws + "update-function-configuration --function-name cli-fn --memory-size 512 --timeout 11",
        tmp.path());
    ASSERT_EQ(u.code, 0) << u.err;
    EXPECT_EQ(json::parse(u.out)["MemorySize"], 512);

    auto g = run(aws + "get-function-configuration --function-name cli-fn", tmp.path());
    ASSERT_EQ(g.code, 0) << g.err;
    auto gj = json::parse(g.out);
    EXPECT_EQ(gj["MemorySize"], 512);
    EXPECT_EQ(gj["Timeout"], 11);
    EXPECT_EQ(gj["FunctionArn"], "arn:aws:lambda:us-east-1:000000000000:function:cli-fn");

    auto i2 = run(aws + "invoke --function-name cli-fn --log-type Tail --payload " + quote("{}") +
                      raw + " " + out.string(),
                  tmp.path());
    ASSERT_EQ(i2.code, 0) << i2.err;
    std::string log2 = unbase64(json::parse(i2.out)["LogResult"].get<std::string>());
    EXPECT_NE(log2.find("Memory Size: 512 MB"), std::string::npos) << log2;
    EXPECT_NE(log2.find("Init Duration: "), std::string::npos)
        << "the update retired the old sandbox";

    auto l = run(aws + "list-functions", tmp.path());
    ASSERT_EQ(l.code, 0) << l.err;
    EXPECT_EQ(json::parse(l.out)["Functions"][0]["FunctionName"], "cli-fn");

    auto d = run(aws + "delete-function --function-name cli-fn", tmp.path());
    EXPECT_EQ(d.code, 0) << d.err;
    auto gone = run(aws + "get-function --function-name cli-fn", tmp.path());
    EXPECT_NE(gone.code, 0);
    EXPECT_NE(gone.err.find("ResourceNotFoundException"), std::string::npos) << gone.err;

    auto bad =
        run(aws +
                "create-function --function-name bad --runtime provided.al2023 --handler x "
                "--role arn:aws:iam::000000000000:role/x --memory-size 64 --zip-file fileb://" +
                zip.string(),
            tmp.path());
    EXPECT_NE(bad.code, 0);
    // The CLI validates MemorySize itself (min 128) or reports the service's error; either names
    // it.
    EXPECT_NE(bad.err.find("MemorySize") == std::string::npos ? bad.err.find("memory") : 0,
              std::string::npos)
        << bad.err;
}

// The same states and conflicts on the wire, fast enough to be deterministic: the requests land
// well inside a 5 s update delay.
TEST_F(EndToEnd, UpdateDelayMakesPendingAndInProgressWithLambdasConflicts) {
    service_process s("[service]\n", {"--update-delay", "5000"});
    const std::string zip = base64(make_zip({{"bootstrap", read_file(TESTFN_BIN), 0100755}}));
    const std::string fn = s.url() + "/2015-03-31/functions";
    auto c = http("POST", fn,
                  R"({"FunctionName":"d","Runtime":"provided.al2023","Handler":"echo","Role":"r",)"
                  R"("Code":{"ZipFile":")" +
                      zip + R"("}})");
    ASSERT_EQ(c.status, 201) << c.body;
    EXPECT_EQ(json::parse(c.body)["State"], "Pending");
    auto inv = http("POST", fn + "/d/invocations", "{}");
    EXPECT_EQ(inv.status, 409);
    EXPECT_EQ(inv.header("x-amzn-errortype"), "ResourceConflictException");
    EXPECT_EQ(json::parse(inv.body)["message"],
              "The operation cannot be performed at this time. The function is currently in the "
              "following state: Pending");
    EXPECT_EQ(http("PUT", fn + "/d/configuration", R"({"Timeout":5})").status, 409);
    std::string state;
    for (int i = 0; i < 200 && state != "Active"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        state = json::parse(http("GET", fn + "/d/configuration").body)["State"].get<std::string>();
    }
    ASSERT_EQ(state, "Active");
    auto u = http("PUT", fn + "/d/configuration", R"({"MemorySize":256})");
    ASSERT_EQ(u.status, 200) << u.body;
    EXPECT_EQ(json::parse(u.body)["LastUpdateStatus"], "InProgress");
    auto again = http("PUT", fn + "/d/code", R"({"ZipFile":")" + zip + R"("})");
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(json::parse(again.body)["message"],
              "The operation cannot be performed at this time. An update is in progress for "
              "resource: arn:aws:lambda:us-east-1:000000000000:function:d");
    auto during = http("POST", fn + "/d/invocations", R"({"x":1})");
    EXPECT_EQ(during.status, 200) << "invocations go on during an update";
}

// With --update-delay the service applies changes as Lambda does, asynchronously, and the AWS
// CLI (botocore's models and its own waiters) sees the same states, reasons and conflicts.
TEST_F(EndToEnd, AwsCliSeesPendingInProgressConflictsVpcConfigAndTags) {
    if (!have("aws"))
        GTEST_SKIP() << "aws CLI not installed (scripts/install-deps installs awscli)";
    service_process s("[service]\nidle_timeout = 60\n", {"--update-delay", "12000"});
    fs::path zip = tmp.path() / "fn.zip";
    write_file(zip, make_zip({{"bootstrap", read_file(TESTFN_BIN), 0100755}}));
    // AWS_MAX_ATTEMPTS=1: a conflict must reach the test, not be retried by the CLI.
    const std::string aws =
        "AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_DEFAULT_REGION=us-east-1 "
        "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= "
        "AWS_MAX_ATTEMPTS=1 aws --endpoint-url " +
        s.url() + " --output json lambda ";
    const std::string arn = "arn:aws:lambda:us-east-1:000000000000:function:st-fn";
    bool v2 = run("aws --version", tmp.path()).out.find("aws-cli/2") != std::string::npos;
    std::string raw = v2 ? " --cli-binary-format raw-in-base64-out" : "";
    fs::path out = tmp.path() / "out.json";
    // A CLI call can only be expected to see Pending/InProgress when it ended inside the update
    // delay after the change (on a badly overloaded host the AWS CLI alone can take longer).
    const auto delay = std::chrono::seconds(12);
    auto within = [delay](std::chrono::steady_clock::time_point since) {
        return std::chrono::steady_clock::now() < since + delay;
    };
    auto created_at = std::chrono::steady_clock::now();
    auto c = run(aws +
                     "create-function --function-name st-fn --runtime provided.al2023 --handler "
                     "echo --role arn:aws:iam::000000000000:role/lambench --architectures arm64 "
                     "--vpc-config SubnetIds=subnet-a,subnet-b,SecurityGroupIds=sg-1 "
                     "--tags " +
                     quote(R"({"lambench:stack":"st","owner":"tests"})") + " --zip-file fileb://" +
                     zip.string(),
                 tmp.path());
    ASSERT_EQ(c.code, 0) << c.err;
    auto cj = json::parse(c.out);
    EXPECT_EQ(cj["State"], "Pending");
    EXPECT_EQ(cj["StateReason"], "The function is being created.");
    EXPECT_EQ(cj["StateReasonCode"], "Creating");
    EXPECT_FALSE(cj.contains("LastUpdateStatus")) << "first set when the create completes";
    EXPECT_EQ(cj["Architectures"], json::array({"arm64"}));
    EXPECT_EQ(cj["VpcConfig"]["SubnetIds"], json::array({"subnet-a", "subnet-b"}));
    EXPECT_EQ(cj["VpcConfig"]["SecurityGroupIds"], json::array({"sg-1"}));
    EXPECT_TRUE(std::regex_match(cj["VpcConfig"]["VpcId"].get<std::string>(),
                                 std::regex("vpc-[0-9a-f]{17}")))
        << cj["VpcConfig"];

    // Pending: Invoke and updates are refused as Lambda refuses them.
    auto early = run(
        aws + "invoke --function-name st-fn --payload " + quote("{}") + raw + " " + out.string(),
        tmp.path());
    if (within(created_at)) {  // else the CLI was too slow to observe Pending
        EXPECT_NE(early.code, 0);
        EXPECT_NE(early.err.find("ResourceConflictException"), std::string::npos) << early.err;
        EXPECT_NE(early.err.find("The operation cannot be performed at this time. The function is "
                                 "currently in the following state: Pending"),
                  std::string::npos)
            << early.err;
    }
    auto early_update =
        run(aws + "update-function-configuration --function-name st-fn --timeout 5", tmp.path());
    if (within(created_at)) {
        EXPECT_NE(early_update.code, 0);
        EXPECT_NE(early_update.err.find("state: Pending"), std::string::npos) << early_update.err;
    }

    // botocore's own waiter (waiters-2.json) polls until State is Active.
    auto w = run(aws + "wait function-active-v2 --function-name st-fn", tmp.path());
    ASSERT_EQ(w.code, 0) << w.err;
    auto g = run(aws + "get-function-configuration --function-name st-fn", tmp.path());
    ASSERT_EQ(g.code, 0) << g.err;
    auto gj = json::parse(g.out);
    EXPECT_EQ(gj["State"], "Active");
    EXPECT_EQ(gj["LastUpdateStatus"], "Successful");
    EXPECT_FALSE(gj.contains("StateReason"));

    auto updated_at = std::chrono::steady_clock::now();
    auto u = run(aws +
                     "update-function-configuration --function-name st-fn --memory-size 256 "
                     "--vpc-config SubnetIds=subnet-c,SecurityGroupIds=sg-2,sg-3",
                 tmp.path());
    ASSERT_EQ(u.code, 0) << u.err;
    auto uj = json::parse(u.out);
    EXPECT_EQ(uj["State"], "Active");
    EXPECT_EQ(uj["LastUpdateStatus"], "InProgress");
    EXPECT_EQ(uj["LastUpdateStatusReason"], "The function is being created.");
    EXPECT_EQ(uj["LastUpdateStatusReasonCode"], "Creating");
    EXPECT_EQ(uj["VpcConfig"]["SecurityGroupIds"], json::array({"sg-2", "sg-3"}));
    auto second =
        run(aws + "update-function-code --function-name st-fn --zip-file fileb://" + zip.string(),
            tmp.path());
    if (within(updated_at)) {
        EXPECT_NE(second.code, 0);
        EXPECT_NE(second.err.find("ResourceConflictException"), std::string::npos) << second.err;
        EXPECT_NE(second.err.find("The operation cannot be performed at this time. An update is in "
                                  "progress for resource: " +
                                  arn),
                  std::string::npos)
            << second.err;
    }
    // An update in progress does not stop invocations.
    auto during = run(aws + "invoke --function-name st-fn --payload " + quote(R"({"n":1})") + raw +
                          " " + out.string(),
                      tmp.path());
    EXPECT_EQ(during.code, 0) << during.err;
    auto wu = run(aws + "wait function-updated-v2 --function-name st-fn", tmp.path());
    ASSERT_EQ(wu.code, 0) << wu.err;
    EXPECT_EQ(json::parse(run(aws + "get-function-configuration --function-name st-fn", tmp.path())
                              .out)["LastUpdateStatus"],
              "Successful");

    // Tags: given at create, listed, added, removed, and returned by GetFunction.
    auto lt = run(aws + "list-tags --resource " + arn, tmp.path());
    ASSERT_EQ(lt.code, 0) << lt.err;
    EXPECT_EQ(json::parse(lt.out)["Tags"], json({{"lambench:stack", "st"}, {"owner", "tests"}}));
    auto tr = run(aws + "tag-resource --resource " + arn + " --tags run=7", tmp.path());
    ASSERT_EQ(tr.code, 0) << tr.err;
    auto ur = run(aws + "untag-resource --resource " + arn + " --tag-keys owner", tmp.path());
    ASSERT_EQ(ur.code, 0) << ur.err;
    auto gf = run(aws + "get-function --function-name st-fn", tmp.path());
    ASSERT_EQ(gf.code, 0) << gf.err;
    EXPECT_EQ(json::parse(gf.out)["Tags"], json({{"lambench:stack", "st"}, {"run", "7"}}));

    // Bad input gets Lambda's 400s and 404s.
    auto bad_vpc = run(aws +
                           "update-function-configuration --function-name st-fn --vpc-config "
                           "SubnetIds=subnet-x",
                       tmp.path());
    EXPECT_NE(bad_vpc.code, 0);
    EXPECT_NE(bad_vpc.err.find("InvalidParameterValueException"), std::string::npos) << bad_vpc.err;
    auto reserved =
        run(aws + "tag-resource --resource " + arn + " --tags " + quote(R"({"aws:x":"1"})"),
            tmp.path());
    EXPECT_NE(reserved.code, 0);
    EXPECT_NE(reserved.err.find("InvalidParameterValueException"), std::string::npos)
        << reserved.err;
    auto missing =
        run(aws + "list-tags --resource arn:aws:lambda:us-east-1:000000000000:function:nope",
            tmp.path());
    EXPECT_NE(missing.code, 0);
    EXPECT_NE(missing.err.find("ResourceNotFoundException"), std::string::npos) << missing.err;
}

// Put/Get/DeleteFunctionConcurrency through the AWS CLI, enforced on invoke, with bad input.
TEST_F(EndToEnd, AwsCliReservedConcurrency) {
    if (!have("aws"))
        GTEST_SKIP() << "aws CLI not installed (scripts/install-deps installs awscli)";
    service_process s("[service]\nidle_timeout = 60\n");
    fs::path zip = tmp.path() / "fn.zip";
    write_file(zip, make_zip({{"bootstrap", read_file(TESTFN_BIN), 0100755}}));
    const std::string aws =
        "AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_DEFAULT_REGION=us-east-1 "
        "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= "
        "AWS_MAX_ATTEMPTS=1 aws --endpoint-url " +
        s.url() + " --output json lambda ";
    bool v2 = run("aws --version", tmp.path()).out.find("aws-cli/2") != std::string::npos;
    std::string raw = v2 ? " --cli-binary-format raw-in-base64-out" : "";
    fs::path out = tmp.path() / "out.json";
    auto c = run(aws +
                     "create-function --function-name rc-fn --runtime provided.al2023 --handler "
                     "sleep --timeout 30 --role arn:aws:iam::000000000000:role/lambench "
                     "--zip-file fileb://" +
                     zip.string(),
                 tmp.path());
    ASSERT_EQ(c.code, 0) << c.err;

    auto none = run(aws + "get-function-concurrency --function-name rc-fn", tmp.path());
    ASSERT_EQ(none.code, 0) << none.err;
    EXPECT_FALSE(
        json::parse(none.out.empty() ? "{}" : none.out).contains("ReservedConcurrentExecutions"));
    auto p = run(aws +
                     "put-function-concurrency --function-name rc-fn "
                     "--reserved-concurrent-executions 1",
                 tmp.path());
    ASSERT_EQ(p.code, 0) << p.err;
    EXPECT_EQ(json::parse(p.out)["ReservedConcurrentExecutions"], 1);
    auto g = run(aws + "get-function-concurrency --function-name rc-fn", tmp.path());
    ASSERT_EQ(g.code, 0) << g.err;
    EXPECT_EQ(json::parse(g.out)["ReservedConcurrentExecutions"], 1);
    auto gf = run(aws + "get-function --function-name rc-fn", tmp.path());
    ASSERT_EQ(gf.code, 0) << gf.err;
    EXPECT_EQ(json::parse(gf.out)["Concurrency"]["ReservedConcurrentExecutions"], 1);

    // One invocation runs; a second at the same time is throttled, the CLI shows Lambda's error.
    // (The first sleeps long enough for a slow CLI start on a loaded host.)
    const auto slow_started = std::chrono::steady_clock::now();
    auto slow =
        std::async(std::launch::async, [&] { return s.invoke("rc-fn", R"({"ms":15000})"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    auto t = run(aws + "invoke --function-name rc-fn --payload " + quote(R"({"ms":1})") + raw +
                     " " + out.string(),
                 tmp.path());
    if (std::chrono::steady_clock::now() < slow_started + std::chrono::seconds(14)) {
        EXPECT_NE(t.code, 0);
        EXPECT_NE(t.err.find("TooManyRequestsException"), std::string::npos) << t.err;
    }
    auto slow_result = slow.get();
    EXPECT_EQ(slow_result.status, 200);
    EXPECT_TRUE(slow_result.header("x-amz-function-error").empty()) << slow_result.body;

    // 0: every invoke is throttled.
    auto z = run(aws +
                     "put-function-concurrency --function-name rc-fn "
                     "--reserved-concurrent-executions 0",
                 tmp.path());
    ASSERT_EQ(z.code, 0) << z.err;
    auto zr = s.invoke("rc-fn", R"({"ms":1})");
    EXPECT_EQ(zr.status, 429);
    EXPECT_EQ(json::parse(zr.body)["Reason"], "ReservedFunctionConcurrentInvocationLimitExceeded");

    auto d = run(aws + "delete-function-concurrency --function-name rc-fn", tmp.path());
    ASSERT_EQ(d.code, 0) << d.err;
    auto after = run(aws + "get-function --function-name rc-fn", tmp.path());
    ASSERT_EQ(after.code, 0) << after.err;
    EXPECT_FALSE(json::parse(after.out).contains("Concurrency"));
    EXPECT_EQ(s.invoke("rc-fn", R"({"ms":1})").status, 200);

    // Bad input: the CLI's own checks or the service's answer; either way a failure naming it.
    // (Run side by side: each AWS CLI start costs seconds on a loaded host.)
    const char* const bad[] = {
        "put-function-concurrency --function-name rc-fn --reserved-concurrent-executions -1",
        "put-function-concurrency --function-name rc-fn --reserved-concurrent-executions many",
        "put-function-concurrency --function-name rc-fn --reserved-concurrent-executions 901",
        "put-function-concurrency --function-name nope --reserved-concurrent-executions 2",
        "get-function-concurrency --function-name nope",
        "delete-function-concurrency --function-name nope",
    };
    std::vector<std::future<run_result>> runs;
    for (std::size_t i = 0; i < std::size(bad); ++i) {
        fs::path scratch = tmp.path() / ("bad" + std::to_string(i));
        fs::create_directories(scratch);
        runs.push_back(std::async(std::launch::async,
                                  [&aws, &bad, i, scratch] { return run(aws + bad[i], scratch); }));
    }
    std::vector<run_result> r;
    for (auto& f : runs) r.push_back(f.get());
    for (std::size_t i = 0; i < r.size(); ++i) EXPECT_NE(r[i].code, 0) << bad[i];
    EXPECT_NE(r[0].err.find("ReservedConcurrentExecutions"), std::string::npos) << r[0].err;
    EXPECT_NE(r[2].err.find("InvalidParameterValueException"), std::string::npos) << r[2].err;
    for (std::size_t i = 3; i < r.size(); ++i)
        EXPECT_NE(r[i].err.find("ResourceNotFoundException"), std::string::npos) << bad[i] << "\n"
                                                                                 << r[i].err;
    EXPECT_EQ(json::parse(http("GET", s.url() + "/2019-09-30/functions/rc-fn/concurrency").body),
              json::object())
        << "the refused calls changed nothing";
}

// The fields SDKs read from GetFunction/GetFunctionConfiguration, LoggingConfig accepted on
// create and update, and every answer valid against botocore's model of the service.
TEST_F(EndToEnd, ConfigurationFieldsMatchBotocoresShapes) {
    service_process s("[service]\nidle_timeout = 60\n", {"--update-delay", "3000"});
    const std::string fns = s.url() + "/2015-03-31/functions";
    const std::string zip = base64(make_zip({{"bootstrap", read_file(TESTFN_BIN), 0100755}}));
    json create = {{"FunctionName", "shape-fn"},
                   {"Runtime", "provided.al2023"},
                   {"Handler", "echo"},
                   {"Role", "arn:aws:iam::000000000000:role/x"},
                   {"Code", {{"ZipFile", zip}}}};
    auto c = http("POST", fns, create.dump());
    ASSERT_EQ(c.status, 201) << c.body;
    auto cj = json::parse(c.body);
    // Pending while the create is applied: the state's reason, as Lambda gives it.
    EXPECT_EQ(cj["State"], "Pending");
    EXPECT_EQ(cj["StateReasonCode"], "Creating");
    EXPECT_EQ(cj["LoggingConfig"],
              json({{"LogFormat", "Text"}, {"LogGroup", "/aws/lambda/shape-fn"}}));
    EXPECT_EQ(cj["SnapStart"], json({{"ApplyOn", "None"}, {"OptimizationStatus", "Off"}}));
    EXPECT_TRUE(std::regex_match(cj["RuntimeVersionConfig"]["RuntimeVersionArn"].get<std::string>(),
                                 std::regex(R"(arn:aws:lambda:us-east-1::runtime:\S+)")))
        << cj["RuntimeVersionConfig"];
    EXPECT_FALSE(cj.contains("Layers")) << "Lambda leaves Layers out when there are none";
    std::vector<std::pair<std::string, std::string>> answers{{"CreateFunction", c.body}};

    // Wait for Active, then update the logging configuration: InProgress with its reason.
    for (int i = 0; i < 100; ++i) {
        if (json::parse(http("GET", fns + "/shape-fn/configuration").body)["State"] == "Active")
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto u =
        http("PUT", fns + "/shape-fn/configuration",
             json{{"LoggingConfig", {{"LogFormat", "JSON"}, {"SystemLogLevel", "WARN"}}}}.dump());
    ASSERT_EQ(u.status, 200) << u.body;
    auto uj = json::parse(u.body);
    EXPECT_EQ(uj["LoggingConfig"], json({{"LogFormat", "JSON"},
                                         {"ApplicationLogLevel", "INFO"},
                                         {"SystemLogLevel", "WARN"},
                                         {"LogGroup", "/aws/lambda/shape-fn"}}));
    EXPECT_EQ(uj["LastUpdateStatus"], "InProgress");
    EXPECT_EQ(uj["LastUpdateStatusReasonCode"], "Creating");
    EXPECT_FALSE(uj["LastUpdateStatusReason"].get<std::string>().empty());
    answers.push_back({"UpdateFunctionConfiguration", u.body});
    ASSERT_EQ(http("PUT", s.url() + "/2017-10-31/functions/shape-fn/concurrency",
                   R"({"ReservedConcurrentExecutions":4})")
                  .status,
              200);
    auto g = http("GET", fns + "/shape-fn");
    ASSERT_EQ(g.status, 200);
    answers.push_back({"GetFunction", g.body});
    answers.push_back(
        {"GetFunctionConfiguration", http("GET", fns + "/shape-fn/configuration").body});
    answers.push_back({"ListFunctions", http("GET", fns + "/").body});
    answers.push_back({"GetFunctionConcurrency",
                       http("GET", s.url() + "/2019-09-30/functions/shape-fn/concurrency").body});
    // Back to Text: the levels go (they exist only with JSON).
    std::this_thread::sleep_for(std::chrono::milliseconds(3100));
    auto t =
        http("PUT", fns + "/shape-fn/configuration",
             json{{"LoggingConfig", {{"LogFormat", "Text"}, {"LogGroup", "/my/group"}}}}.dump());
    ASSERT_EQ(t.status, 200) << t.body;
    EXPECT_EQ(json::parse(t.body)["LoggingConfig"],
              json({{"LogFormat", "Text"}, {"LogGroup", "/my/group"}}));

    // Bad LoggingConfig and Layers get 400 and change nothing.
    std::this_thread::sleep_for(std::chrono::milliseconds(3100));
    for (const json& bad :
         {json{{"LoggingConfig", {{"LogFormat", "XML"}}}},
          json{{"LoggingConfig", {{"LogFormat", "Text"}, {"ApplicationLogLevel", "DEBUG"}}}},
          json{{"LoggingConfig", {{"LogFormat", "JSON"}, {"ApplicationLogLevel", "LOUD"}}}},
          json{{"LoggingConfig", {{"LogGroup", "has space"}}}},
          json{{"LoggingConfig", {{"LogGroup", ""}}}}, json{{"LoggingConfig", "Text"}},
          json{{"Layers", {"arn:aws:lambda:us-east-1:123456789012:layer:x:1"}}}}) {
        auto r = http("PUT", fns + "/shape-fn/configuration", bad.dump());
        EXPECT_EQ(r.status, 400) << bad.dump() << " -> " << r.body;
        EXPECT_EQ(r.header("x-amzn-errortype"), "InvalidParameterValueException") << bad.dump();
    }
    EXPECT_EQ(
        json::parse(http("GET", fns + "/shape-fn/configuration").body)["LoggingConfig"]["LogGroup"],
        "/my/group");

    // Every answer against the model (the Python of Debian's python3-botocore, as in CI).
    std::string args;
    int i = 0;
    for (const auto& [op, body] : answers) {
        fs::path f = tmp.path() / ("answer" + std::to_string(i++) + ".json");
        write_file(f, body);
        args += " " + op + "=" + f.string();
    }
    const std::string validator =
        std::string(PROJECT_DIR) + "/tests/aws/botocore/validate_responses.py";
    if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
    auto v = run("/usr/bin/python3 " + validator + args, tmp.path());
    EXPECT_EQ(v.code, 0) << v.out << v.err;
    // And the validator can fail: a wrong type and an unknown member are caught.
    fs::path wrong = tmp.path() / "wrong.json";
    write_file(wrong, R"({"Configuration":{"MemorySize":"128","NoSuchField":1}})");
    auto w = run("/usr/bin/python3 " + validator + " GetFunction=" + wrong.string(), tmp.path());
    EXPECT_EQ(w.code, 1) << w.out << w.err;
    EXPECT_NE(w.err.find("NoSuchField"), std::string::npos) << w.err;
}

TEST_F(EndToEnd, AwsSdkForJavaScriptInvokesAndSeesResourceNotFound) {
    if (!fs::exists(fs::path(NODE_DIR) / "node_modules/@aws-sdk/client-lambda"))
        GTEST_SKIP() << "run scripts/install-deps (npm install in tests/service/node)";
    service_process s(
        "[service]\n[[function]]\nname = \"sdk-fn\"\nhandler = \"echo\"\nmemory = 384\ncode = \"" +
        code.string() + "\"\n");
    auto r =
        run("node " + std::string(NODE_DIR) + "/sdk_check.mjs " + s.url() + " sdk-fn", tmp.path());
    ASSERT_EQ(r.code, 0) << r.err;
    auto j = json::parse(r.out);
    EXPECT_EQ(j["status"], 200);
    EXPECT_EQ(j["payload"], R"({"from":"sdk"})");
    EXPECT_TRUE(j["functionError"].is_null());
    EXPECT_EQ(j["executedVersion"], "$LATEST");
    EXPECT_NE(j["log"].get<std::string>().find("REPORT RequestId: "), std::string::npos);
    EXPECT_EQ(j["memory"], 384);
    EXPECT_EQ(j["missing"], "ResourceNotFoundException");
    EXPECT_EQ(j["missingStatus"], 404);
}

TEST_F(EndToEnd, OfficialNodeRuntimeClientRunsThroughALauncher) {
    fs::path ric =
        fs::path(PROJECT_DIR) / "functions/node/node_modules/aws-lambda-ric/bin/index.mjs";
    if (!fs::exists(ric) || !have("node"))
        GTEST_SKIP() << "aws-lambda-ric not installed (scripts/install-deps, functions/node)";
    fs::path js = tmp.path() / "js";
    fs::create_directories(js);
    write_file(js / "index.mjs", R"(
export const ok = async (event) => ({ got: event, node: process.version.startsWith("v") });
export const boom = async () => { throw new TypeError("boom from node"); };
)");
    service_process s(
        "[service]\nlaunchers = { \"nodejs20.x\" = \"node " + ric.string() +
        " {handler}\" }\n"
        "[[function]]\nname = \"node-ok\"\nruntime = \"nodejs20.x\"\nhandler = \"index.ok\"\n"
        "memory = 512\ncode = \"" +
        js.string() +
        "\"\n"
        "[[function]]\nname = \"node-boom\"\nruntime = \"nodejs20.x\"\nhandler = \"index.boom\"\n"
        "memory = 512\ncode = \"" +
        js.string() + "\"\n");
    auto ok = s.invoke("node-ok", R"({"n":7})");
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(json::parse(ok.body)["got"]["n"], 7) << ok.body;
    EXPECT_NE(unbase64(ok.header("x-amz-log-result")).find("Init Duration"), std::string::npos);
    auto warm = s.invoke("node-ok", R"({"n":8})");
    EXPECT_EQ(json::parse(warm.body)["got"]["n"], 8);
    auto boom = s.invoke("node-boom");
    EXPECT_EQ(boom.header("x-amz-function-error"), "Unhandled");
    auto bj = json::parse(boom.body);
    EXPECT_EQ(bj["errorType"], "TypeError") << boom.body;
    EXPECT_EQ(bj["errorMessage"], "boom from node");
    EXPECT_TRUE(bj.contains("trace")) << "the Node client's own body, unchanged";
}

TEST_F(EndToEnd, LauncherPlaceholdersAndUnknownRuntimes) {
    service_process s(
        "[service]\nlaunchers = { \"custom.env\" = \"env {task_root}/bootstrap\" }\n"
        "[[function]]\nname = \"launched\"\nruntime = \"custom.env\"\nhandler = \"echo\"\ncode = "
        "\"" +
        code.string() + "\"\n");
    auto r = s.invoke("launched", R"({"l":1})");
    EXPECT_EQ(r.body, R"({"l":1})");
    json b = {{"FunctionName", "nolauncher"},
              {"Runtime", "python3.12"},
              {"Handler", "app.handler"},
              {"Role", "arn:aws:iam::000000000000:role/x"},
              {"Code", {{"ZipFile", base64(make_zip({{"app.py", "x"}}))}}}};
    auto c = http("POST", s.url() + "/2015-03-31/functions", b.dump());
    EXPECT_EQ(c.status, 400);
    EXPECT_EQ(c.header("x-amzn-errortype"), "InvalidParameterValueException");
    EXPECT_NE(c.body.find("Runtime"), std::string::npos);
}

TEST_F(EndToEnd, LambenchInvokePrintsPayloadAndReport) {
    service_process s("[[function]]\nname = \"cli-echo\"\nhandler = \"echo\"\ncode = \"" +
                      code.string() + "\"\n");
    auto r = run(std::string(LAMBENCH_BIN) + " invoke cli-echo --payload " + quote(R"({"k":"v"})") +
                     " --endpoint " + s.url(),
                 tmp.path());
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "{\"k\":\"v\"}\n");
    EXPECT_TRUE(
        std::regex_search(r.err, std::regex(R"(REPORT RequestId: [0-9a-f-]{36}\tDuration: )")))
        << r.err;
    auto missing =
        run(std::string(LAMBENCH_BIN) + " invoke nope --endpoint " + s.url(), tmp.path());
    EXPECT_NE(missing.code, 0);
    EXPECT_NE(missing.err.find("ResourceNotFoundException"), std::string::npos) << missing.err;

    auto logs =
        run(std::string(LAMBENCH_BIN) + " logs cli-echo --state-dir " + s.state_dir().string(),
            tmp.path());
    EXPECT_EQ(logs.code, 0) << logs.err;
    EXPECT_NE(logs.out.find("START RequestId: "), std::string::npos);
    EXPECT_NE(logs.out.find("REPORT RequestId: "), std::string::npos);
    auto nolog =
        run(std::string(LAMBENCH_BIN) + " logs never-ran --state-dir " + s.state_dir().string(),
            tmp.path());
    EXPECT_NE(nolog.code, 0);
    EXPECT_NE(nolog.err.find("never-ran"), std::string::npos);
}

TEST_F(EndToEnd, ServeRejectsBadFlagsAndConfigs) {
    std::string bin = LAMBENCH_BIN;
    auto listen =
        run(bin + " serve --listen nonsense --state-dir " + tmp.path().string(), tmp.path());
    EXPECT_NE(listen.code, 0);
    EXPECT_NE(listen.err.find("--listen"), std::string::npos) << listen.err;
    auto cpu = run(bin + " serve --init-cpu half --state-dir " + tmp.path().string(), tmp.path());
    EXPECT_NE(cpu.code, 0);
    EXPECT_NE(cpu.err.find("init-cpu"), std::string::npos) << cpu.err;
    write_file(tmp.path() / "bad.toml",
               "[[function]]\nname = \"x\"\ncode = \"/nonexistent\"\nmemory = 99\n");
    auto cfg = run(bin + " serve --listen 127.0.0.1:0 --config " +
                       (tmp.path() / "bad.toml").string() + " --state-dir " + tmp.path().string(),
                   tmp.path());
    EXPECT_NE(cfg.code, 0);
    EXPECT_NE(cfg.err.find("MemorySize"), std::string::npos) << cfg.err;
    write_file(
        tmp.path() / "rt.toml",
        "[[function]]\nname = \"x\"\nruntime = \"ruby3.3\"\ncode = \"" + code.string() + "\"\n");
    auto rt = run(bin + " serve --listen 127.0.0.1:0 --config " +
                      (tmp.path() / "rt.toml").string() + " --state-dir " + tmp.path().string(),
                  tmp.path());
    EXPECT_NE(rt.code, 0);
    EXPECT_NE(rt.err.find("launcher"), std::string::npos) << rt.err;
}

TEST_F(EndToEnd, IncompleteCgroupsAreMarkedOrRefused) {
    // LAMBENCH_CGROUPS=off (resources.cpp) turns the cgroup model off, as on a host without them.
    std::map<std::string, std::string> env{{"LAMBENCH_CGROUPS", "off"},
                                           {"LAMBENCH_REQUIRE_CGROUPS", "0"}};
    std::string cfg =
        "[[function]]\nname = \"e\"\nhandler = \"echo\"\ncode = \"" + code.string() + "\"\n";
    std::unique_ptr<service_process> s;
    try {
        s = std::make_unique<service_process>(cfg, std::vector<std::string>{}, env);
    } catch (const std::exception& e) {
        FAIL() << e.what();
    }
    auto st = json::parse(http("GET", s->url() + "/2015-03-31/functions/e/lambench-stats").body);
    ASSERT_EQ(st["ResourceModel"], "partial") << st.dump();
    auto r = s->invoke("e");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-lambench-resource-model"), "partial");
    EXPECT_NE(unbase64(r.header("x-amz-log-result")).find("\tLambench Resource Model: partial"),
              std::string::npos);
    // Without cgroups Max Memory Used still comes from the processes' own peaks (/proc).
    const std::string log_tail = unbase64(r.header("x-amz-log-result"));
    EXPECT_NE(log_tail.find("Max Memory Used: "), std::string::npos) << log_tail;
    EXPECT_EQ(log_tail.find("Max Memory Used: 0 MB"), std::string::npos) << log_tail;
    s.reset();

    env["LAMBENCH_REQUIRE_CGROUPS"] = "1";
    auto refused =
        run("env LAMBENCH_CGROUPS=off LAMBENCH_REQUIRE_CGROUPS=1 " + std::string(LAMBENCH_BIN) +
                " serve --listen 127.0.0.1:0 --state-dir " + tmp.path().string(),
            tmp.path());
    EXPECT_NE(refused.code, 0);
    EXPECT_NE(refused.err.find("LAMBENCH_REQUIRE_CGROUPS"), std::string::npos) << refused.err;
    EXPECT_EQ(refused.out, "") << "no listening line when refusing to start";
}

}  // namespace
