// `lambench aws deploy|destroy|status` against the AWS cloud played by fake_aws (recorded,
// botocore-shaped responses): the orchestration, rollback, existing stacks, a missing default
// VPC, AWS errors as the user sees them, destroy's idempotence, and the dry run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "aws/sigv4.hpp"
#include "aws/zip.hpp"
#include "common/base64.hpp"
#include "deploy/deploy.hpp"
#include "fake_aws.hpp"
#include "support/files.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lambench;
using deploy::test::fake_aws;
using deploy::test::stack_step;

std::string record_path() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    fs::create_directories(LAMBENCH_RECORD_DIR);
    return std::string(LAMBENCH_RECORD_DIR) + "/" + info->test_suite_name() + "." + info->name() +
           ".jsonl";
}

// A suite of hello (static) and items-libpq (static; bundled SKIPPED) with real artifact
// directories, zipped for upload like any other.
struct workspace {
    test_support::temp_dir dir{"lambench-deploy"};
    driver::suite suite;

    explicit workspace(bool with_items = true) {
        auto put = [&](const std::string& fn, const std::string& profile, const std::string& file,
                       const std::string& text) {
            fs::create_directories(dir.path() / fn / profile);
            std::ofstream(dir.path() / fn / profile / file) << text;
            if (file == "bootstrap")  // else it could not run on Lambda (artifact-check)
                fs::permissions(dir.path() / fn / profile / file, fs::perms::owner_exec,
                                fs::perm_options::add);
        };
        put("hello", "static", "bootstrap", "#!/bin/sh\necho hello\n");
        put("items-libpq", "static", "bootstrap", "#!/bin/sh\necho items\n");
        put("items-libpq", "bundled", "SKIPPED", "not in this test\n");
        std::string toml = R"(name = "mini"
memory = [256, 512]
cold = 1
warm = 1
[defaults]
profiles = ["static", "bundled"]
[[function]]
name = "hello"
)";
        if (with_items) toml += "[[function]]\nname = \"items-libpq\"\nneeds_database = true\n";
        suite = driver::parse_suite(toml, "mini.toml");
    }
};

deploy::deploy_options options_for(const fake_aws& cloud, const workspace& ws) {
    deploy::deploy_options o;
    o.suite = ws.suite;
    o.artifacts_root = ws.dir.path().string();
    o.region = "us-east-1";
    o.endpoint_url = cloud.endpoint();
    o.creds = aws::credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
    o.poll = std::chrono::milliseconds(1);
    o.yes = true;
    return o;
}

void complete_outputs(fake_aws& cloud) {
    cloud.outputs = {
        {"FunctionRoleArn", "arn:aws:iam::123456789012:role/lambench-FunctionRole-1"},
        {"FunctionSecurityGroupId", "sg-0f00"},
        {"DbEndpointAddress", "lambench-db.abc.us-east-1.rds.amazonaws.com"},
        {"DbEndpointPort", "5432"},
        {"DbName", "lambench"},
        {"DbUser", "lambench"},
        {"DbSecretArn", "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1"}};
}

const std::vector<stack_step> create_ok = {
    {"CREATE_IN_PROGRESS", "lambench", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS",
     "User Initiated"},
    {"CREATE_IN_PROGRESS", "Database", "AWS::RDS::DBInstance", "CREATE_IN_PROGRESS", ""},
    {"CREATE_COMPLETE", "lambench", "AWS::CloudFormation::Stack", "CREATE_COMPLETE", ""}};

struct result {
    int code;
    std::string out, err;
};

result run_deploy(const deploy::deploy_options& o) {
    std::ostringstream out, err;
    const int code = deploy::deploy(o, out, err);
    return {code, out.str(), err.str()};
}

const std::string password = "p@ss/w:rd%20&x";

TEST(Deploy, CreatesTheStackWaitsAndDeploysSeedsAndVerifies) {
    fake_aws cloud(record_path());
    workspace ws;
    complete_outputs(cloud);
    cloud.after_create = create_ok;
    cloud.verify_answer = deploy::verify_expected();

    const result r = run_deploy(options_for(cloud, ws));
    ASSERT_EQ(r.code, 0) << r.err;

    // The order of the calls (polls collapsed).
    std::vector<std::string> ops;
    for (const auto& op : cloud.operations())
        if (ops.empty() || ops.back() != op) ops.push_back(op);
    const std::vector<std::string> head = {"ec2 DescribeVpcs",
                                           "ec2 DescribeSubnets",
                                           "cloudformation DescribeStacks",
                                           "cloudformation CreateStack",
                                           "cloudformation DescribeStacks",
                                           "cloudformation DescribeStackEvents"};
    ASSERT_GE(ops.size(), head.size());
    EXPECT_EQ(std::vector<std::string>(ops.begin(), ops.begin() + 6), head);

    const auto vpcs = cloud.params_of("DescribeVpcs");
    EXPECT_EQ(vpcs.at("Filter.1.Name"), "isDefault");
    EXPECT_EQ(vpcs.at("Filter.1.Value.1"), "true");
    EXPECT_EQ(cloud.params_of("DescribeSubnets").at("Filter.1.Value.1"), "vpc-0d1f2e3c");

    const auto create = cloud.params_of("CreateStack");
    EXPECT_EQ(create.at("StackName"), "lambench");
    EXPECT_EQ(create.at("TemplateBody"), deploy::stack_template());
    std::map<std::string, std::string> parameters;
    for (int i = 1; create.count("Parameters.member." + std::to_string(i) + ".ParameterKey"); ++i)
        parameters[create.at("Parameters.member." + std::to_string(i) + ".ParameterKey")] =
            create.at("Parameters.member." + std::to_string(i) + ".ParameterValue");
    EXPECT_EQ(parameters.at("VpcId"), "vpc-0d1f2e3c");
    // The default-for-AZ subnets only, sorted; the user's own subnet is left out.
    EXPECT_EQ(parameters.at("SubnetIds"), "subnet-0a,subnet-0b");
    EXPECT_EQ(parameters.at("CreateDatabase"), "true");
    EXPECT_EQ(parameters.at("DbInstanceClass"), "db.t4g.micro");
    EXPECT_EQ(create.at("Capabilities.member.1"), "CAPABILITY_IAM");
    EXPECT_EQ(create.at("Tags.member.1.Key"), "lambench:stack");
    EXPECT_EQ(create.at("Tags.member.1.Value"), "lambench");

    // Progress: every event, once, oldest first.
    const auto at = [&](const std::string& s) { return r.err.find(s); };
    ASSERT_NE(at("CREATE_IN_PROGRESS  Database (AWS::RDS::DBInstance)"), std::string::npos)
        << r.err;
    EXPECT_LT(at("User Initiated"), at("CREATE_IN_PROGRESS  Database"));
    EXPECT_EQ(r.err.find("User Initiated"), r.err.rfind("User Initiated"));

    // The secret's ARN came from the outputs; the functions got the password through
    // DATABASE_URL, percent-encoded.
    EXPECT_EQ(cloud.body_of("GetSecretValue").value("SecretId", ""),
              "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1");
    ASSERT_EQ(cloud.count("CreateFunction"), 2);
    const auto created = cloud.functions;
    ASSERT_TRUE(created.count("lambench-hello-static"));
    ASSERT_TRUE(created.count("lambench-items-libpq-static"));
    EXPECT_FALSE(created.count("lambench-items-libpq-bundled"));  // SKIPPED
    const auto& items = created.at("lambench-items-libpq-static");
    EXPECT_EQ(items["Environment"]["Variables"]["DATABASE_URL"],
              "postgresql://lambench:p%40ss%2Fw%3Ard%2520%26x@lambench-db.abc.us-east-1.rds."
              "amazonaws.com:5432/lambench?sslmode=require");
    EXPECT_FALSE(
        created.at("lambench-hello-static")["Environment"]["Variables"].contains("DATABASE_URL"));
    EXPECT_EQ(items["Runtime"], "provided.al2023");
    EXPECT_EQ(items["MemorySize"], 256);
    EXPECT_EQ(items["Role"], "arn:aws:iam::123456789012:role/lambench-FunctionRole-1");
    EXPECT_EQ(items["VpcConfig"]["SubnetIds"], nlohmann::json({"subnet-0a", "subnet-0b"}));
    EXPECT_EQ(items["VpcConfig"]["SecurityGroupIds"], nlohmann::json({"sg-0f00"}));
    EXPECT_EQ(cloud.tags.at(fake_aws::arn("lambench-items-libpq-static")).at("lambench:stack"),
              "lambench");
    // Waited for Pending -> Active before going on.
    EXPECT_GE(cloud.count("GetFunctionConfiguration"), 4);

    // Seeded through the static items-libpq, then one query checked byte for byte.
    std::vector<std::string> payloads;
    for (const auto& c : cloud.calls())
        if (c.operation == "Invoke") payloads.push_back(c.body.dump());
    ASSERT_EQ(payloads.size(), 2u);
    EXPECT_EQ(payloads[0], R"({"action":"setup"})");
    EXPECT_EQ(payloads[1], deploy::verify_event());

    EXPECT_NE(r.out.find("Deployed stack lambench in us-east-1 (CREATE_COMPLETE)"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("lambench-items-libpq-static"), std::string::npos);
    EXPECT_NE(r.out.find("per month"), std::string::npos);
    EXPECT_NE(r.out.find("lambench aws destroy --stack lambench --region us-east-1"),
              std::string::npos);
    // Never the secret.
    EXPECT_EQ(r.out.find("p@ss"), std::string::npos);
    EXPECT_EQ(r.err.find("p@ss"), std::string::npos);
    EXPECT_EQ(r.out.find("p%40ss"), std::string::npos);
    EXPECT_EQ(r.err.find("p%40ss"), std::string::npos);
}

TEST(Deploy, RollbackPrintsTheFailureReasonsAndFails) {
    fake_aws cloud(record_path());
    workspace ws;
    cloud.after_create = {
        {"CREATE_IN_PROGRESS", "lambench", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS",
         "User Initiated"},
        {"CREATE_IN_PROGRESS", "Database", "AWS::RDS::DBInstance", "CREATE_FAILED",
         "Resource handler returned message: \"DB instance class db.t4g.micro is not available "
         "in us-east-1e\""},
        {"ROLLBACK_IN_PROGRESS", "FunctionRole", "AWS::IAM::Role", "CREATE_FAILED",
         "Resource creation cancelled"},
        {"ROLLBACK_COMPLETE", "lambench", "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE", ""}};
    const result r = run_deploy(options_for(cloud, ws));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("Stack lambench ended ROLLBACK_COMPLETE"), std::string::npos) << r.err;
    const auto why = r.err.find("Why:");
    ASSERT_NE(why, std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Database (AWS::RDS::DBInstance) CREATE_FAILED: Resource handler "
                         "returned message: \"DB instance class db.t4g.micro is not available",
                         why),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("FunctionRole (AWS::IAM::Role) CREATE_FAILED", why), std::string::npos);
    EXPECT_NE(r.err.find("lambench aws destroy"), std::string::npos);
    EXPECT_EQ(cloud.count("CreateFunction"), 0);
    EXPECT_EQ(cloud.count("GetSecretValue"), 0);
}

TEST(Deploy, RolledBackStackIsDeletedAndCreatedAgain) {
    fake_aws cloud(record_path());
    workspace ws;
    complete_outputs(cloud);
    cloud.verify_answer = deploy::verify_expected();
    cloud.stack_status = "ROLLBACK_COMPLETE";
    cloud.after_delete = {
        {"DELETE_IN_PROGRESS", "lambench", "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS", ""},
        {"DELETE_COMPLETE", "", "", "", ""}};
    cloud.after_create = create_ok;
    const result r = run_deploy(options_for(cloud, ws));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(cloud.count("DeleteStack"), 1);
    EXPECT_EQ(cloud.count("CreateStack"), 1);
    EXPECT_NE(r.err.find("ROLLBACK_COMPLETE (an earlier creation failed); deleting it first"),
              std::string::npos);
}

TEST(Deploy, ExistingStackIsUpdatedAndExistingFunctionsToo) {
    fake_aws cloud(record_path());
    workspace ws;
    complete_outputs(cloud);
    cloud.verify_answer = deploy::verify_expected();
    cloud.stack_status = "CREATE_COMPLETE";
    cloud.after_update = {
        {"UPDATE_IN_PROGRESS", "lambench", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS",
         "User Initiated"},
        {"UPDATE_COMPLETE", "lambench", "AWS::CloudFormation::Stack", "UPDATE_COMPLETE", ""}};
    // hello has this very code already; items-libpq has other code.
    const auto zip = aws::zip_directory((ws.dir.path() / "hello" / "static").string());
    const std::string digest = [&] {
        // base64(SHA-256(zip)), as Lambda reports CodeSha256.
        const std::string hex = aws::sigv4::sha256_hex(
            std::string_view(reinterpret_cast<const char*>(zip.data()), zip.size()));
        std::string bytes;
        for (std::size_t i = 0; i < hex.size(); i += 2)
            bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
        return common::base64_encode(bytes);
    }();
    cloud.add_function("lambench-hello-static", "lambench", digest);
    cloud.add_function("lambench-items-libpq-static", "lambench", "b2xk");

    const result r = run_deploy(options_for(cloud, ws));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(cloud.count("UpdateStack"), 1);
    EXPECT_EQ(cloud.count("CreateStack"), 0);
    EXPECT_EQ(cloud.count("CreateFunction"), 0);
    EXPECT_EQ(cloud.count("UpdateFunctionCode"), 1);  // items-libpq only
    EXPECT_EQ(cloud.count("UpdateFunctionConfiguration"), 2);
    EXPECT_NE(r.err.find("updated lambench-hello-static (configuration)"), std::string::npos);
    EXPECT_NE(r.err.find("updated lambench-items-libpq-static (code)"), std::string::npos);
    EXPECT_NE(r.out.find("(UPDATE_COMPLETE)"), std::string::npos);
    // The events of earlier operations are not printed again.
    EXPECT_NE(r.err.find("UPDATE_IN_PROGRESS  lambench"), std::string::npos) << r.err;
}

TEST(Deploy, NoUpdatesToPerformIsSuccess) {
    fake_aws cloud(record_path());
    workspace ws;
    complete_outputs(cloud);
    cloud.verify_answer = deploy::verify_expected();
    cloud.stack_status = "UPDATE_COMPLETE";
    cloud.no_updates = true;
    const result r = run_deploy(options_for(cloud, ws));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("Stack lambench is up to date (UPDATE_COMPLETE)"), std::string::npos);
    EXPECT_EQ(cloud.count("DescribeStacks"), 1);  // no waiting
    EXPECT_EQ(cloud.count("CreateFunction"), 2);
}

TEST(Deploy, NoDefaultVpcSaysHowToCreateOne) {
    fake_aws cloud(record_path());
    workspace ws;
    cloud.default_vpc = false;
    const result r = run_deploy(options_for(cloud, ws));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("the account has no default VPC in us-east-1; create one with `aws ec2 "
                         "create-default-vpc --region us-east-1`"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(cloud.operations(), std::vector<std::string>{"ec2 DescribeVpcs"});
}

TEST(Deploy, AwsQueryErrorIsShownWithCodeMessageAndNextStep) {
    fake_aws cloud(record_path());
    workspace ws;
    cloud.errors["DescribeVpcs"] = deploy::test::ec2_error(
        403, "UnauthorizedOperation", "You are not authorized to perform this operation.");
    const result r = run_deploy(options_for(cloud, ws));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("lambench aws deploy: UnauthorizedOperation: You are not authorized to "
                         "perform this operation. (HTTP 403)"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("what to do: the credentials lack a permission"), std::string::npos);
    EXPECT_EQ(cloud.count("DescribeVpcs"), 1);  // a 403 is not retried
}

TEST(Deploy, AwsJsonErrorIsShownWithCodeAndMessage) {
    fake_aws cloud(record_path());
    workspace ws;
    complete_outputs(cloud);
    cloud.after_create = create_ok;
    cloud.errors["GetSecretValue"] = deploy::test::json_error(
        400, "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/x is not authorized to perform: "
        "secretsmanager:GetSecretValue");
    const result r = run_deploy(options_for(cloud, ws));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("AccessDeniedException: User: arn:aws:iam::123456789012:user/x is not "
                         "authorized to perform: secretsmanager:GetSecretValue (HTTP 400)"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(cloud.count("CreateFunction"), 0);
}

TEST(Deploy, ThrottlingIsRetried) {
    fake_aws cloud(record_path());
    workspace ws;
    cloud.default_vpc = false;
    cloud.errors["DescribeVpcs"] =
        deploy::test::query_error(400, "RequestLimitExceeded", "Request limit exceeded.");
    const result r = run_deploy(options_for(cloud, ws));
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(cloud.count("DescribeVpcs"), 5);
    EXPECT_NE(r.err.find("RequestLimitExceeded"), std::string::npos);
    EXPECT_NE(r.err.find("AWS is throttling"), std::string::npos);
}

TEST(Deploy, WithoutConfirmationNothingIsCreated) {
    fake_aws cloud(record_path());
    workspace ws;
    auto o = options_for(cloud, ws);
    o.yes = false;
    std::string asked;
    o.confirm = [&](const std::string& q) {
        asked = q;
        return false;
    };
    const result r = run_deploy(o);
    EXPECT_EQ(r.code, 1);
    EXPECT_FALSE(asked.empty());
    EXPECT_NE(r.err.find("Nothing was created"), std::string::npos);
    EXPECT_NE(r.err.find("per month"), std::string::npos);  // the cost is shown before asking
    EXPECT_EQ(cloud.operations(),
              (std::vector<std::string>{"ec2 DescribeVpcs", "ec2 DescribeSubnets"}));

    o.confirm = nullptr;  // no terminal, no --yes
    const result r2 = run_deploy(o);
    EXPECT_EQ(r2.code, 1);
    EXPECT_NE(r2.err.find("re-run with --yes"), std::string::npos);
    EXPECT_EQ(cloud.count("CreateStack"), 0);
}

TEST(Deploy, SuiteWithoutDatabaseCreatesNoDatabase) {
    fake_aws cloud(record_path());
    workspace ws(false);
    cloud.outputs = {{"FunctionRoleArn", "arn:aws:iam::123456789012:role/r"},
                     {"FunctionSecurityGroupId", "sg-0f00"}};
    cloud.after_create = create_ok;
    const result r = run_deploy(options_for(cloud, ws));
    ASSERT_EQ(r.code, 0) << r.err;
    const auto create = cloud.params_of("CreateStack");
    EXPECT_EQ(create.at("Parameters.member.3.ParameterKey"), "CreateDatabase");
    EXPECT_EQ(create.at("Parameters.member.3.ParameterValue"), "false");
    EXPECT_EQ(cloud.count("GetSecretValue"), 0);
    EXPECT_EQ(cloud.count("Invoke"), 0);
    EXPECT_NE(r.out.find("Estimated standing cost: $0"), std::string::npos);
}

TEST(Deploy, ArtifactThatCannotRunOnAl2023IsNotDeployed) {
    fake_aws cloud(record_path());
    workspace ws(false);
    // hello/bundled: lambench itself, which needs libraries provided.al2023 does not have.
    fs::create_directories(ws.dir.path() / "hello" / "bundled");
    fs::copy_file(LAMBENCH_BIN, ws.dir.path() / "hello" / "bundled" / "bootstrap");
    cloud.outputs = {{"FunctionRoleArn", "arn:aws:iam::123456789012:role/r"},
                     {"FunctionSecurityGroupId", "sg-0f00"}};
    cloud.after_create = create_ok;
    auto o = options_for(cloud, ws);
    o.dry_run = true;
    const result dry = run_deploy(o);
    ASSERT_EQ(dry.code, 0) << dry.err;
    EXPECT_NE(dry.out.find("(hello/bundled: n/a on provided.al2023: bootstrap needs lib"),
              std::string::npos)
        << dry.out;
    EXPECT_EQ(dry.out.find("FunctionName=lambench-hello-bundled"), std::string::npos) << dry.out;
    o.dry_run = false;
    const result r = run_deploy(o);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(cloud.count("CreateFunction"), 1);  // hello/static only
    EXPECT_NE(r.err.find("hello/bundled: n/a on provided.al2023"), std::string::npos) << r.err;
}

TEST(Deploy, WrongSeedAnswerFails) {
    fake_aws cloud(record_path());
    workspace ws;
    complete_outputs(cloud);
    cloud.after_create = create_ok;
    cloud.verify_answer = R"({"id":"x"})";
    const result r = run_deploy(options_for(cloud, ws));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("the items query after seeding returned {\"id\":\"x\"}"),
              std::string::npos)
        << r.err;
}

// ---- dry run ----

TEST(Deploy, DryRunListsTheCallsOfARealCreateWithoutCallingAws) {
    fake_aws cloud(record_path());
    workspace ws;
    auto o = options_for(cloud, ws);
    o.dry_run = true;
    o.creds.reset();
    const result dry = run_deploy(o);
    ASSERT_EQ(dry.code, 0) << dry.err;
    EXPECT_TRUE(cloud.calls().empty());
    EXPECT_NE(dry.out.find("DbInstanceClass db.t4g.micro"), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find("CreateDatabase  true"), std::string::npos) << dry.out;
    EXPECT_NE(dry.out.find("TemplateBody=<deploy/aws/template.yaml, " +
                           std::to_string(deploy::stack_template().size()) + " bytes>"),
              std::string::npos);
    EXPECT_NE(dry.out.find("lambda CreateFunction FunctionName=lambench-items-libpq-static"),
              std::string::npos);
    EXPECT_NE(dry.out.find("(items-libpq/bundled: n/a (not in this test))"), std::string::npos);

    // The operations it lists are those a real first deploy makes, in the same order.
    std::vector<std::string> listed;
    std::istringstream lines(dry.out);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string num, service, op;
        if (!(words >> num >> service >> op) || num.back() != '.') continue;
        std::vector<std::string> ops{service + " " + op};
        if (line.find("DescribeStacks + DescribeStackEvents") != std::string::npos)
            ops = {"cloudformation DescribeStacks", "cloudformation DescribeStackEvents"};
        for (const auto& o2 : ops)
            if (listed.empty() || listed.back() != o2) listed.push_back(o2);
    }
    complete_outputs(cloud);
    cloud.after_create = {create_ok.back()};
    cloud.pending_polls = 0;
    cloud.verify_answer = deploy::verify_expected();
    o.dry_run = false;
    o.creds = aws::credentials{"AKIDEXAMPLE", "secret", ""};
    ASSERT_EQ(run_deploy(o).code, 0);
    std::vector<std::string> real;
    for (const auto& op : cloud.operations())
        if (real.empty() || real.back() != op) real.push_back(op);
    EXPECT_EQ(listed, real);
}

TEST(Deploy, DryRunOfTheBinaryNeedsNoCredentialsAndNoNetwork) {
    fake_aws cloud(record_path());
    workspace ws;
    std::ofstream(ws.dir.path() / "mini.toml") << "name = \"mini\"\nmemory = [128]\n"
                                                  "[[function]]\nname = \"hello\"\n"
                                                  "profiles = [\"static\"]\n";
    test_support::temp_dir home;
    // No credentials anywhere, every endpoint pointed at the recorder: nothing may arrive.
    const std::string cmd = "env -i PATH=/usr/bin:/bin HOME=" + home.path().string() +
                            " AWS_ENDPOINT_URL=" + cloud.endpoint() + " " + LAMBENCH_BIN +
                            " aws deploy " + (ws.dir.path() / "mini.toml").string() +
                            " --artifacts " + ws.dir.path().string() +
                            " --dry-run --region eu-west-1 --stack demo 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    const int status = ::pclose(p);
    EXPECT_EQ(WEXITSTATUS(status), 0) << out;
    EXPECT_NE(out.find("Dry run: no AWS call is made. Region eu-west-1, stack demo"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("CreateDatabase  false"), std::string::npos);
    EXPECT_NE(out.find("lambda CreateFunction FunctionName=demo-hello-static"), std::string::npos);
    EXPECT_NE(out.find("lambench aws destroy --stack demo --region eu-west-1"), std::string::npos);
    EXPECT_TRUE(cloud.calls().empty());

    const std::string destroy_cmd = "env -i PATH=/usr/bin:/bin HOME=" + home.path().string() + " " +
                                    LAMBENCH_BIN + " aws destroy --dry-run --stack demo 2>&1";
    p = ::popen(destroy_cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    out.clear();
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    EXPECT_EQ(WEXITSTATUS(::pclose(p)), 0) << out;
    EXPECT_NE(out.find("cloudformation DeleteStack StackName=demo"), std::string::npos) << out;
}

TEST(Deploy, TheBinaryWithoutYesAndWithoutATerminalCreatesNothing) {
    fake_aws cloud(record_path());
    workspace ws(false);
    std::ofstream(ws.dir.path() / "mini.toml") << "name = \"mini\"\nmemory = [128]\n"
                                                  "[[function]]\nname = \"hello\"\n"
                                                  "profiles = [\"static\"]\n";
    test_support::temp_dir home;
    const std::string cmd =
        "env -i PATH=/usr/bin:/bin HOME=" + home.path().string() +
        " AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret AWS_ENDPOINT_URL=" +
        cloud.endpoint() + " " + LAMBENCH_BIN + " aws deploy " +
        (ws.dir.path() / "mini.toml").string() + " --artifacts " + ws.dir.path().string() +
        " --region us-east-1 </dev/null 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    EXPECT_EQ(WEXITSTATUS(::pclose(p)), 1) << out;
    EXPECT_NE(out.find("stdin is not a terminal; pass --yes to go ahead"), std::string::npos)
        << out;
    EXPECT_NE(out.find("Estimated standing cost"), std::string::npos) << out;
    EXPECT_EQ(cloud.operations(),
              (std::vector<std::string>{"ec2 DescribeVpcs", "ec2 DescribeSubnets"}));
}

// ---- destroy and status ----

deploy::destroy_options destroy_options_for(const fake_aws& cloud) {
    deploy::destroy_options o;
    o.region = "us-east-1";
    o.endpoint_url = cloud.endpoint();
    o.creds = aws::credentials{"AKIDEXAMPLE", "secret", ""};
    o.poll = std::chrono::milliseconds(1);
    return o;
}

TEST(Destroy, DeletesTaggedFunctionsThenTheStackAndIsIdempotent) {
    fake_aws cloud(record_path());
    cloud.stack_status = "CREATE_COMPLETE";
    cloud.after_delete = {
        {"DELETE_IN_PROGRESS", "Database", "AWS::RDS::DBInstance", "DELETE_IN_PROGRESS", ""},
        {"DELETE_COMPLETE", "", "", "", ""}};
    cloud.add_function("lambench-hello-static", "lambench");
    cloud.add_function("lambench-items-libpq-static", "lambench");
    cloud.add_function("other-stack-fn", "other");
    cloud.add_function("untagged", "");

    std::ostringstream out, err;
    ASSERT_EQ(deploy::destroy(destroy_options_for(cloud), out, err), 0) << err.str();
    EXPECT_EQ(cloud.count("DeleteFunction"), 2);
    EXPECT_TRUE(cloud.functions.count("other-stack-fn"));
    EXPECT_TRUE(cloud.functions.count("untagged"));
    EXPECT_FALSE(cloud.functions.count("lambench-hello-static"));
    EXPECT_EQ(cloud.count("DeleteStack"), 1);
    EXPECT_FALSE(cloud.stack_status.has_value());
    EXPECT_NE(out.str().find("Deleted 2 function(s) and stack lambench; nothing tagged "
                             "lambench:stack=lambench remains in us-east-1"),
              std::string::npos)
        << out.str();
    // Functions go before the stack (their network interfaces hold the security group).
    const auto ops = cloud.operations();
    const auto first_delete_stack = std::find(ops.begin(), ops.end(), "cloudformation DeleteStack");
    const auto last_delete_fn = std::find(ops.rbegin(), ops.rend(), "lambda DeleteFunction").base();
    EXPECT_LT(last_delete_fn - ops.begin(), first_delete_stack - ops.begin());

    // Again: nothing left, still success, nothing deleted.
    std::ostringstream out2, err2;
    ASSERT_EQ(deploy::destroy(destroy_options_for(cloud), out2, err2), 0) << err2.str();
    EXPECT_EQ(cloud.count("DeleteFunction"), 2);
    EXPECT_EQ(cloud.count("DeleteStack"), 1);
    EXPECT_NE(out2.str().find("Deleted 0 function(s), no stack lambench existed"),
              std::string::npos)
        << out2.str();
}

// `lambench aws clean`: the functions of this stack's tag and nothing else, no CloudFormation.
TEST(Destroy, CleanDeletesOnlyTheTaggedFunctionsWithoutCloudFormation) {
    fake_aws cloud(record_path());
    cloud.stack_status = "CREATE_COMPLETE";  // left alone
    cloud.add_function("lambench-hello-static", "lambench");
    cloud.add_function("other-hello-static", "other");
    auto o = destroy_options_for(cloud);
    o.functions_only = true;
    std::ostringstream out, err;
    ASSERT_EQ(deploy::destroy(o, out, err), 0) << err.str();
    EXPECT_NE(out.str().find("Deleted 1 function(s) (functions only: no CloudFormation call)"),
              std::string::npos)
        << out.str();
    EXPECT_EQ(cloud.count("DeleteFunction"), 1);
    EXPECT_EQ(cloud.functions.count("other-hello-static"), 1u);
    for (const auto& op : cloud.operations())
        EXPECT_EQ(op.rfind("lambda ", 0), 0u) << op << " is not a Lambda call";
    std::ostringstream dry;
    o.dry_run = true;
    ASSERT_EQ(deploy::destroy(o, dry, err), 0);
    EXPECT_EQ(dry.str().find("cloudformation"), std::string::npos) << dry.str();
}

TEST(Destroy, DeleteFailedSaysToRunAgainLater) {
    fake_aws cloud(record_path());
    cloud.stack_status = "CREATE_COMPLETE";
    cloud.after_delete = {{"DELETE_IN_PROGRESS", "", "", "", ""},
                          {"DELETE_FAILED", "FunctionSecurityGroup", "AWS::EC2::SecurityGroup",
                           "DELETE_FAILED", "resource sg-0f00 has a dependent object"}};
    std::ostringstream out, err;
    EXPECT_EQ(deploy::destroy(destroy_options_for(cloud), out, err), 1);
    EXPECT_NE(err.str().find("FunctionSecurityGroup (AWS::EC2::SecurityGroup) DELETE_FAILED: "
                             "resource sg-0f00 has a dependent object"),
              std::string::npos)
        << err.str();
    EXPECT_NE(err.str().find("again in a few minutes"), std::string::npos);
}

// What `run --target aws` asks of the stack when it has no --role or runs database functions:
// DescribeStacks, the default VPC's subnets, and the RDS-managed secret for DATABASE_URL.
TEST(LookupStack, GivesTheRunRoleNetworkAndDatabase) {
    fake_aws cloud(record_path());
    deploy::aws_options o;
    o.region = "us-east-1";
    o.endpoint_url = cloud.endpoint();
    o.creds = aws::credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
    EXPECT_FALSE(deploy::lookup_stack(o)) << "no stack: nullopt";

    cloud.stack_status = "CREATE_COMPLETE";
    complete_outputs(cloud);
    const auto so = deploy::lookup_stack(o);
    ASSERT_TRUE(so);
    EXPECT_EQ(so->role_arn, "arn:aws:iam::123456789012:role/lambench-FunctionRole-1");
    EXPECT_EQ(so->security_group_id, "sg-0f00");
    EXPECT_EQ(so->subnet_ids, (std::vector<std::string>{"subnet-0a", "subnet-0b"}));
    EXPECT_EQ(so->db_host, "lambench-db.abc.us-east-1.rds.amazonaws.com");
    EXPECT_EQ(so->db_environment.at("DATABASE_URL"),
              deploy::rds_database_url("lambench-db.abc.us-east-1.rds.amazonaws.com", "5432",
                                       "lambench", "lambench", password));
    EXPECT_EQ(cloud.count("GetSecretValue"), 1);

    cloud.stack_status = "ROLLBACK_COMPLETE";
    try {
        deploy::lookup_stack(o);
        FAIL() << "a rolled-back stack was used";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("ROLLBACK_COMPLETE"), std::string::npos) << e.what();
    }
}

TEST(Status, ShowsTheStackOutputsAndFunctionStates) {
    fake_aws cloud(record_path());
    complete_outputs(cloud);
    cloud.stack_status = "CREATE_COMPLETE";
    cloud.add_function("lambench-hello-static", "lambench");
    cloud.add_function("not-ours", "");
    deploy::aws_options o = destroy_options_for(cloud);
    std::ostringstream out, err;
    ASSERT_EQ(deploy::status(o, out, err), 0) << err.str();
    const std::string s = out.str();
    EXPECT_NE(s.find("Stack lambench in us-east-1: CREATE_COMPLETE"), std::string::npos) << s;
    EXPECT_NE(s.find("DbEndpointAddress"), std::string::npos);
    EXPECT_NE(s.find("Functions tagged lambench:stack=lambench: 1"), std::string::npos);
    EXPECT_NE(s.find("lambench-hello-static"), std::string::npos);
    EXPECT_NE(s.find("Active"), std::string::npos);
    EXPECT_NE(s.find("Successful"), std::string::npos);
    EXPECT_EQ(s.find("not-ours"), std::string::npos);
    EXPECT_EQ(cloud.count("GetSecretValue"), 0);  // status never reads the secret

    cloud.stack_status.reset();
    std::ostringstream out2, err2;
    ASSERT_EQ(deploy::status(o, out2, err2), 0);
    EXPECT_NE(out2.str().find("Stack lambench does not exist in us-east-1"), std::string::npos);
}

// ---- pieces ----

TEST(DeployPieces, FunctionNamesAreWhatLambdaAccepts) {
    EXPECT_EQ(deploy::function_name("lambench", "items-libpq", "static"),
              "lambench-items-libpq-static");
    EXPECT_EQ(deploy::function_name("a.b", "c d", "e"), "a-b-c-d-e");
    EXPECT_EQ(deploy::function_name(std::string(60, 's'), "fn", "static").size(), 64u);
}

TEST(DeployPieces, VerifyRowIsItemOne) {
    // md5('item-1') = 761ff52b8e6dd373fdf291a1a70df20c (python3 hashlib).
    EXPECT_EQ(deploy::verify_event(), R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c"})");
    EXPECT_EQ(deploy::verify_expected(),
              R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c","name":"item 1","price":"0.37",)"
              R"("created_at":"2026-01-01T00:01:01.500000Z"})");
}

TEST(DeployPieces, DatabaseUrlEncodesUserAndPassword) {
    EXPECT_EQ(deploy::rds_database_url("h.rds.amazonaws.com", "5432", "db", "u@x", "a:b/c?d#e f"),
              "postgresql://u%40x:a%3Ab%2Fc%3Fd%23e%20f@h.rds.amazonaws.com:5432/db?"
              "sslmode=require");
}

TEST(DeployPieces, EmbeddedTemplateHasTheAgreedParametersAndOutputs) {
    const std::string& t = deploy::stack_template();
    for (const char* key : {"VpcId:", "SubnetIds:", "CreateDatabase:", "DbInstanceClass:",
                            "FunctionRoleArn:", "FunctionSecurityGroupId:", "DbEndpointAddress:",
                            "DbEndpointPort:", "DbSecretArn:", "ManageMasterUserPassword: true"})
        EXPECT_NE(t.find(key), std::string::npos) << key;
}

}  // namespace
