// Every request `lambench run --target aws` and `lambench aws clean` send, recorded on the way
// to the real local service: the CLI talks to a recording proxy (tests/aws/http_test_server.hpp)
// that passes each request on to `lambench serve --auth sigv4 --update-delay` unchanged (Host
// included, so the service checks each signature) and appends it to
// recordings/aws_run.jsonl. The ctest driver.aws_run_recordings_match_botocore_models then
// validates that file against botocore's Lambda model (tests/aws/botocore/validate_requests.py).
// Also: the aws target's n/a for an artifact that cannot run on provided.al2023.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "aws/lambda_client.hpp"
#include "aws/sigv4.hpp"
#include "driver/results.hpp"
#include "http_test_server.hpp"
#include "support/files.hpp"
#include "support/http_client.hpp"
#include "support/serve.hpp"

using namespace lambench::driver;
using lambench::aws::test::http_request;
using lambench::aws::test::http_response;
using lambench::aws::test::http_test_server;
using lambench::test_support::temp_dir;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string exe = LAMBENCH_EXE;
const std::string functions_dir = LAMBENCH_FUNCTIONS_DIR;
constexpr const char* key_id = "AKIDLAMBENCHRECORD";
constexpr const char* secret = "lambench/record/secret+key";

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Passes requests on to `upstream` and records each one as a JSON line.
class recording_proxy {
  public:
    recording_proxy(std::string upstream, const fs::path& record)
        : upstream_(std::move(upstream)), out_(record, std::ios::app) {}

    http_response operator()(const http_request& r) {
        std::vector<std::string> headers;
        json recorded = json::object();
        for (const auto& [n, v] : r.headers) {
            recorded[lower(n)] = v;
            const std::string l = lower(n);
            if (l != "content-length" && l != "expect" && l != "transfer-encoding")
                headers.push_back(n + ": " + v);  // Host too: the signature covers it
        }
        {
            std::lock_guard lock(m_);
            out_ << json{{"service", "lambda"},
                         {"method", r.method},
                         {"target", r.target},
                         {"headers", recorded},
                         {"body", r.body}}
                        .dump()
                 << '\n';
            out_.flush();
        }
        const auto answer =
            lambench::test_support::http(r.method, upstream_ + r.target, r.body, headers);
        http_response resp;
        resp.status = static_cast<int>(answer.status);
        for (const auto& [n, v] : answer.headers)
            if (n != "content-length" && n != "transfer-encoding" && n != "connection")
                resp.headers.emplace_back(n, v);
        resp.body = answer.body;
        return resp;
    }

  private:
    std::string upstream_;
    std::mutex m_;
    std::ofstream out_;
};

struct outcome {
    int status = -1;
    std::string out, err;
};

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

outcome run(const std::vector<std::string>& args, const fs::path& dir) {
    std::string cmd = quote(exe);
    for (const auto& a : args) cmd += " " + quote(a);
    cmd += " >" + quote((dir / "stdout").string()) + " 2>" + quote((dir / "stderr").string());
    const int rc = std::system(cmd.c_str());
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc),
            lambench::test_support::read_file(dir / "stdout"),
            lambench::test_support::read_file(dir / "stderr")};
}

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

// hello/static copied (so that a later run can change its code), and hello/shared made of an
// executable that needs libraries provided.al2023 lacks: lambench itself (libcurl, libzip, ...).
void make_artifacts(const fs::path& root) {
    fs::create_directories(root / "hello");
    fs::copy(functions_dir + "/hello/static", root / "hello/static", fs::copy_options::recursive);
    fs::create_directories(root / "hello/shared");
    fs::copy_file(exe, root / "hello/shared/bootstrap");
}

std::string suite(const std::string& profiles) {
    return R"(name = "record"
memory = [128, 256]
cold = 2
warm = 2

[[function]]
name = "hello"
profiles = )" +
           profiles + "\ntimeout = 10\n";
}

struct environment {
    environment() {
        ::setenv("AWS_ACCESS_KEY_ID", key_id, 1);
        ::setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
        ::unsetenv("AWS_SESSION_TOKEN");
        ::unsetenv("AWS_ENDPOINT_URL");
        ::unsetenv("AWS_ENDPOINT_URL_LAMBDA");
        ::unsetenv("AWS_PROFILE");
    }
};

lambench::test_support::serve_options serve_opts(const fs::path& state) {
    lambench::test_support::serve_options so;
    so.state_dir = state;
    so.extra_args = {"--update-delay", "100", "--auth", "sigv4", "--region", "eu-west-1"};
    so.env = {{"AWS_ACCESS_KEY_ID", key_id}, {"AWS_SECRET_ACCESS_KEY", secret}};
    return so;
}

}  // namespace

TEST(AwsRun, EveryRequestOfARunAndACleanIsRecordedThroughTheRealService) {
    ASSERT_TRUE(fs::exists(functions_dir + "/hello/static/bootstrap")) << "hello/static not built";
    environment env;
    temp_dir d("lambench-aws-record");
    fs::create_directories(LAMBENCH_RECORD_DIR);
    const fs::path record = fs::path(LAMBENCH_RECORD_DIR) / "aws_run.jsonl";
    fs::remove(record);
    make_artifacts(d.path() / "art");
    write(d.path() / "s.toml", suite(R"(["static", "shared"])"));

    lambench::test_support::serve_process serve(exe, serve_opts(d.path() / "serve"));
    recording_proxy proxy(serve.url(), record);
    http_test_server server([&](const http_request& r) { return proxy(r); });
    const std::vector<std::string> aws = {"--target",       "aws",
                                          "--endpoint-url", server.endpoint(),
                                          "--region",       "eu-west-1",
                                          "--role",         "arn:aws:iam::123456789012:role/bench",
                                          "--stack",        "rec",
                                          "--artifacts",    (d.path() / "art").string(),
                                          "--state-dir",    (d.path() / "state").string()};
    auto with = [&](std::vector<std::string> args) {
        args.insert(args.end(), aws.begin(), aws.end());
        return args;
    };

    // 1. Missing function: GetFunctionConfiguration (404), CreateFunction, the wait, the
    //    memory and cold-start updates, the invocations. hello/shared is n/a (artifact-check).
    auto first =
        run(with({"run", (d.path() / "s.toml").string(), "--out", (d.path() / "run1").string()}),
            d.path());
    ASSERT_EQ(first.status, 0) << first.err;
    const auto r1 = read_results((d.path() / "run1/results.jsonl").string());
    ASSERT_EQ(r1.samples.size(), 8u);
    for (const auto& s : r1.samples) EXPECT_TRUE(s.ok) << s.error_type << ": " << s.error_message;
    ASSERT_EQ(r1.skipped.size(), 1u);
    EXPECT_EQ(r1.skipped[0].variant.profile, "shared");
    EXPECT_NE(r1.skipped[0].reason.find("n/a on provided.al2023: bootstrap needs lib"),
              std::string::npos)
        << r1.skipped[0].reason;
    const std::string md = lambench::test_support::read_file(d.path() / "run1/report.md");
    EXPECT_NE(md.find("hello/shared: n/a — n/a on provided.al2023: bootstrap needs lib"),
              std::string::npos)
        << md;

    // 2. Someone removed the tag and the code changed: ListTags + TagResource, then
    //    UpdateFunctionCode (another CodeSha256), then the configuration. The tag is removed
    //    directly at the service (not recorded), signed with the same key.
    lambench::aws::lambda_client direct(serve.url(), "eu-west-1",
                                        lambench::aws::credentials{key_id, secret, ""});
    const std::string arn =
        json::parse(direct.get_function_configuration("rec-hello-static"))["FunctionArn"];
    direct.untag_resource(arn, {"lambench:stack"});
    ASSERT_TRUE(direct.list_tags(arn).empty());
    write(d.path() / "art/hello/static/CHANGED", "new code\n");
    write(d.path() / "s1.toml", suite(R"(["static"])"));
    auto second = run(with({"run", (d.path() / "s1.toml").string(), "--out",
                            (d.path() / "run2").string(), "--cold", "1", "--warm", "1"}),
                      d.path());
    ASSERT_EQ(second.status, 0) << second.err;
    EXPECT_EQ(direct.list_tags(arn).at("lambench:stack"), "rec") << "the run tagged it again";
    for (const auto& s : read_results((d.path() / "run2/results.jsonl").string()).samples)
        EXPECT_TRUE(s.ok) << s.error_type << ": " << s.error_message;

    // 3. clean: ListFunctions, ListTags, DeleteFunction; then nothing tagged is left.
    auto clean = run({"aws", "clean", "--endpoint-url", server.endpoint(), "--region", "eu-west-1",
                      "--stack", "rec"},
                     d.path());
    ASSERT_EQ(clean.status, 0) << clean.err;
    EXPECT_NE(clean.out.find("Deleted 1 function(s) (functions only: no CloudFormation call)"),
              std::string::npos)
        << clean.out;
    EXPECT_TRUE(direct.functions_tagged("lambench:stack", "rec").empty());
    EXPECT_EQ(direct.list_functions().find("rec-hello-static"), std::string::npos)
        << "clean did not remove it";

    // What reached the service, by method and path (the validator names the operations).
    std::map<std::string, int> seen;
    std::ifstream in(record);
    for (std::string line; std::getline(in, line);) {
        const auto j = json::parse(line);
        std::string target = j["target"].get<std::string>();
        target = target.substr(0, target.find('?'));
        ++seen[j["method"].get<std::string>() + " " + target];
    }
    const std::string fn = "/2015-03-31/functions/rec-hello-static";
    EXPECT_EQ(seen["POST /2015-03-31/functions"], 1) << "one CreateFunction";
    EXPECT_EQ(seen["PUT " + fn + "/code"], 1) << "one UpdateFunctionCode, in the second run";
    EXPECT_EQ(seen["POST /2017-03-31/tags/" + lambench::aws::sigv4::uri_encode(arn, false)], 1)
        << "one TagResource";
    EXPECT_EQ(seen["POST " + fn + "/invocations"], 8 + 4);
    EXPECT_EQ(seen["DELETE " + fn], 1);
    EXPECT_GE(seen["PUT " + fn + "/configuration"], 2 + 4 + 1 + 2);
    EXPECT_EQ(seen.count("POST /2015-03-31/functions/rec-hello-shared"), 0u);
}
