// End to end: lambda_client against the real local service (`lambench serve`), deploying real
// function artifacts (the C++ hello when built, and the Node.js JIT-row hello) — the same
// path the benchmark driver takes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "aws/lambda_client.hpp"
#include "aws/zip.hpp"
#include "support/report.hpp"
#include "support/serve.hpp"
#include "test_util.hpp"

using namespace lambench::aws;
using json = nlohmann::json;
using lambench::test_support::report_line;
using lambench::test_support::serve_process;
namespace fs = std::filesystem;

namespace {

class against_serve : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!fs::exists(LAMBENCH_BIN)) GTEST_SKIP() << LAMBENCH_BIN << " not built";
        lambench::test_support::serve_options opts;
        opts.state_dir = state_.path();
        opts.extra_args = {"--idle-timeout", "60"};
        opts.stop_grace = std::chrono::seconds(5);
        server_ = std::make_unique<serve_process>(LAMBENCH_BIN, opts);
        client_ = std::make_unique<lambda_client>(server_->url(), "us-east-1", std::nullopt);
    }
    void TearDown() override {
        client_.reset();
        server_.reset();
    }

    // The hello artifacts this build has: the node one is assembled here, by package.sh.
    std::vector<std::pair<std::string, fs::path>> hello_artifacts() {
        std::vector<std::pair<std::string, fs::path>> out;
        for (const char* profile : {"static", "shared"}) {
            const fs::path p = fs::path(LAMBENCH_FUNCTIONS_DIR) / "hello" / profile;
            if (fs::exists(p / "bootstrap")) {
                out.emplace_back(std::string("cpp-") + profile, p);
                break;
            }
        }
        const std::string cmd = std::string(LAMBENCH_SOURCE_DIR) + "/functions/node/package.sh " +
                                artifacts_.path().string() + " 2>/dev/null";
        if (std::system(cmd.c_str()) == 0 &&
            fs::exists(artifacts_.path() / "node-hello/jit/bootstrap"))
            out.emplace_back("node", artifacts_.path() / "node-hello/jit");
        return out;
    }

    lambench::aws::test::temp_dir state_, artifacts_;
    std::unique_ptr<serve_process> server_;
    std::unique_ptr<lambda_client> client_;
};

}  // namespace

TEST_F(against_serve, hello_lifecycle_create_invoke_update_delete) {
    const auto artifacts = hello_artifacts();
    ASSERT_FALSE(artifacts.empty())
        << "no hello artifact: build fn_hello_static or run scripts/install-deps";
    for (const auto& [tag, dir] : artifacts) {
        SCOPED_TRACE(tag);
        std::printf("artifact %s: %s\n", tag.c_str(), dir.c_str());
        function_config cfg;
        cfg.name = "e2e-hello-" + tag;
        cfg.memory_mb = 256;
        cfg.timeout_s = 10;
        const json created =
            json::parse(client_->create_function(cfg, zip_directory(dir.string())));
        EXPECT_EQ(created["FunctionName"], cfg.name);
        EXPECT_EQ(created["MemorySize"], 256);
        client_->wait_until_active(cfg.name, std::chrono::seconds(10));

        const auto cold = client_->invoke(cfg.name, R"({"a":1})");
        EXPECT_EQ(cold.status, 200);
        EXPECT_EQ(cold.function_error, "") << cold.payload;
        EXPECT_EQ(cold.payload, R"({"message":"hello","payload_bytes":7})");
        const std::string cold_report = report_line(cold.log_tail);
        EXPECT_NE(cold_report.find("Memory Size: 256 MB"), std::string::npos) << cold.log_tail;
        EXPECT_NE(cold_report.find("Init Duration: "), std::string::npos) << cold.log_tail;
        EXPECT_GT(cold.round_trip.count(), 0);
        // The id the caller gets is the one the log lines carry.
        EXPECT_FALSE(cold.request_id.empty());
        EXPECT_NE(cold_report.find("RequestId: " + cold.request_id), std::string::npos)
            << cold_report;
        EXPECT_EQ(cold.executed_version, "$LATEST");

        const auto warm = client_->invoke(cfg.name, "{}");
        EXPECT_EQ(warm.payload, R"({"message":"hello","payload_bytes":2})");
        const std::string warm_report = report_line(warm.log_tail);
        EXPECT_NE(warm_report, "") << warm.log_tail;
        EXPECT_EQ(warm_report.find("Init Duration"), std::string::npos) << warm_report;

        EXPECT_EQ(client_->invoke(cfg.name, "{}", true, "Event").status, 202);
        EXPECT_EQ(client_->invoke(cfg.name, "{}", true, "DryRun").status, 204);

        const json listed = json::parse(client_->list_functions());
        bool found = false;
        for (const auto& f : listed["Functions"]) found = found || f["FunctionName"] == cfg.name;
        EXPECT_TRUE(found) << listed.dump();

        client_->update_function_configuration(cfg.name, R"({"MemorySize":512})");
        client_->wait_until_active(cfg.name, std::chrono::seconds(10));
        EXPECT_EQ(json::parse(client_->get_function_configuration(cfg.name))["MemorySize"], 512);
        const auto after = client_->invoke(cfg.name, "{}");
        EXPECT_NE(report_line(after.log_tail).find("Memory Size: 512 MB"), std::string::npos)
            << after.log_tail;

        client_->update_function_code(cfg.name, zip_directory(dir.string()));
        client_->wait_until_active(cfg.name, std::chrono::seconds(10));
        EXPECT_EQ(client_->invoke(cfg.name, "{}").payload,
                  R"({"message":"hello","payload_bytes":2})");

        try {
            client_->create_function(cfg, zip_directory(dir.string()));
            ADD_FAILURE() << "duplicate create accepted";
        } catch (const api_error& e) {
            EXPECT_EQ(e.status, 409);
            EXPECT_EQ(e.type, "ResourceConflictException");
        }

        client_->delete_function(cfg.name);
        try {
            client_->get_function_configuration(cfg.name);
            ADD_FAILURE() << "deleted function still there";
        } catch (const api_error& e) {
            EXPECT_EQ(e.status, 404);
            EXPECT_EQ(e.type, "ResourceNotFoundException");
        }
    }
}

TEST_F(against_serve, unknown_function_is_resource_not_found) {
    try {
        client_->invoke("does-not-exist", "{}");
        FAIL();
    } catch (const api_error& e) {
        EXPECT_EQ(e.status, 404);
        EXPECT_EQ(e.type, "ResourceNotFoundException");
    }
}

TEST_F(against_serve, invalid_memory_size_is_rejected_by_the_service) {
    function_config cfg;
    cfg.name = "e2e-bad-memory";
    cfg.memory_mb = 64;
    lambench::aws::test::temp_dir dir;
    std::ofstream(dir.path() / "bootstrap") << "#!/bin/sh\nexit 1\n";
    try {
        client_->create_function(cfg, zip_directory(dir.path().string()));
        FAIL();
    } catch (const api_error& e) {
        EXPECT_EQ(e.status, 400);
        EXPECT_NE(e.type.find("Exception"), std::string::npos) << e.type;
    }
}

// Tags, as a deployer finds what it created: given at create, listed by the client, added and
// removed; functions_tagged picks exactly the functions of one stack.
TEST_F(against_serve, tags_find_the_functions_of_a_stack) {
    const fs::path dir = artifacts_.path() / "tiny";
    fs::create_directories(dir);
    std::ofstream(dir / "bootstrap") << "#!/bin/sh\nexit 0\n";
    const auto zip = zip_directory(dir.string());
    for (const char* name : {"st-a", "st-b", "other-c"}) {
        function_config cfg;
        cfg.name = name;
        cfg.tags = {{"lambench:stack", std::string(name).starts_with("st") ? "st" : "other"}};
        if (std::string(name) == "st-b") {
            cfg.subnet_ids = {"subnet-1"};
            cfg.security_group_ids = {"sg-1"};
        }
        client_->create_function(cfg, zip);
    }
    auto found = client_->functions_tagged("lambench:stack", "st");
    std::sort(found.begin(), found.end());
    EXPECT_EQ(found, (std::vector<std::string>{"st-a", "st-b"}));
    const auto b = json::parse(client_->get_function_configuration("st-b"));
    EXPECT_EQ(b["VpcConfig"]["SubnetIds"], json::array({"subnet-1"}));

    const std::string arn = "arn:aws:lambda:us-east-1:000000000000:function:st-a";
    client_->tag_resource(arn, {{"run", "1"}, {"k y", "v/w"}});
    EXPECT_EQ(client_->list_tags(arn),
              (std::map<std::string, std::string>{
                  {"k y", "v/w"}, {"lambench:stack", "st"}, {"run", "1"}}));
    client_->untag_resource(arn, {"run", "k y"});
    EXPECT_EQ(client_->list_tags(arn),
              (std::map<std::string, std::string>{{"lambench:stack", "st"}}));
    try {
        client_->list_tags("arn:aws:lambda:us-east-1:000000000000:function:missing");
        FAIL() << "tags of a missing function";
    } catch (const api_error& e) {
        EXPECT_EQ(e.status, 404);
        EXPECT_EQ(e.type, "ResourceNotFoundException");
    }
}
