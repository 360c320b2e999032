// End to end: lambda_client against the real local service (`lambench serve`), deploying real
// function artifacts (the C++ hello when built, and the Node.js JIT-row hello) — the same
// path the benchmark driver takes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "aws/lambda_client.hpp"
#include "aws/zip.hpp"
#include "test_util.hpp"

using namespace lambench::aws;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

// `lambench serve --listen 127.0.0.1:0` as a child; reads the port from its first stdout line.
// Move-only owner: the destructor sends SIGTERM, then SIGKILL, and reaps.
class serve_process {
  public:
    explicit serve_process(const fs::path& state_dir) {
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0)
            throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
        if (pid_ == 0) {
            ::dup2(out[1], STDOUT_FILENO);
            const std::string state = state_dir.string();
            ::execl(LAMBENCH_BIN, LAMBENCH_BIN, "serve", "--listen", "127.0.0.1:0", "--state-dir",
                    state.c_str(), "--idle-timeout", "60", static_cast<char*>(nullptr));
            std::fprintf(stderr, "execl(%s): %s\n", LAMBENCH_BIN, std::strerror(errno));
            ::_exit(127);
        }
        ::close(out[1]);
        out_ = out[0];
        std::string line;
        char c;
        while (::read(out_, &c, 1) == 1 && c != '\n') line += c;
        const std::regex re(R"(listening on (http://127\.0\.0\.1:\d+))");
        std::smatch m;
        if (!std::regex_search(line, m, re))
            throw std::runtime_error("lambench serve did not start: '" + line + "'");
        endpoint_ = m[1];
    }
    ~serve_process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            for (int i = 0; i < 50; ++i) {
                if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                    pid_ = -1;
                    break;
                }
                ::usleep(100000);
            }
            if (pid_ > 0) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, nullptr, 0);
            }
        }
        if (out_ >= 0) ::close(out_);
    }
    serve_process(const serve_process&) = delete;
    serve_process& operator=(const serve_process&) = delete;
    const std::string& endpoint() const { return endpoint_; }

  private:
    pid_t pid_ = -1;
    int out_ = -1;
    std::string endpoint_;
};

std::string report_line(const std::string& log) {
    const auto pos = log.find("REPORT RequestId: ");
    return pos == std::string::npos ? "" : log.substr(pos, log.find('\n', pos) - pos);
}

class against_serve : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!fs::exists(LAMBENCH_BIN)) GTEST_SKIP() << LAMBENCH_BIN << " not built";
        server_ = std::make_unique<serve_process>(state_.path());
        client_ = std::make_unique<lambda_client>(server_->endpoint(), "us-east-1", std::nullopt);
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
