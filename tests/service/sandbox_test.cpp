// The sandbox as Lambda's execution environment: an unprivileged user, Lambda's rlimits, the
// code read-only at /var/task, the host read-only, a private /tmp of EphemeralStorage's size,
// the state directory (logs, other functions' code, the database password) out of reach, a
// fork bomb stopped at 1024 tasks. Needs root (CI runs as root); otherwise the tests of the
// jail skip and one checks that the service says it is not isolated. The environment and the
// reserved-key refusals hold either way.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>

#include "harness.hpp"

using namespace lambench_test;
using json = nlohmann::json;

namespace {

bool running_as_root() {
    return ::geteuid() == 0;
}

// Processes whose environment holds `entry` (e.g. "_HANDLER=forkbomb"): every process of one
// function's sandboxes, whatever it became.
int processes_with_env(const std::string& entry) {
    int n = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator("/proc", ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
        std::ifstream in(it->path() / "environ", std::ios::binary);
        std::string env((std::istreambuf_iterator<char>(in)), {});
        if (("\0" + env).find(std::string("\0") + entry + '\0') != std::string::npos) ++n;
    }
    return n;
}

// A state directory outside /tmp, on a path every user may traverse: what keeps a sandbox out
// of it must be the sandbox, not the modes of a temporary directory or a private /tmp.
class open_state_dir {
  public:
    open_state_dir() {
        std::string tmpl = "/var/tmp/lambench-sandbox-test-XXXXXX";
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp /var/tmp");
        path_ = tmpl;
        fs::permissions(path_, fs::perms::owner_all | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read |
                                   fs::perms::others_exec);
        fs::create_directories(path_ / "state" / "db");
        fs::permissions(path_ / "state",
                        fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
        // The embedded database keeps its role's password here; this one is even readable by
        // all, so only the sandbox's view can keep it from a function.
        write_file(path_ / "state" / "db" / "password", "not-for-functions\n");
        fs::permissions(path_ / "state" / "db",
                        fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
        fs::permissions(path_ / "state" / "db" / "password",
                        fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
    }
    ~open_state_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    fs::path state() const { return path_ / "state"; }

  private:
    fs::path path_;
};

class Sandbox : public ::testing::Test {
  protected:
    static inline open_state_dir* dir = nullptr;
    static inline lambench::test_support::serve_process* svc = nullptr;
    static inline temp_dir* scratch = nullptr;

    static void SetUpTestSuite() {
        dir = new open_state_dir;
        scratch = new temp_dir;
        fs::path code = make_code_dir(scratch->path());
        std::string cfg =
            "[service]\nidle_timeout = 120\n"
            "credentials = { access_key_id = \"AKIDCONFIGURED\", "
            "secret_access_key = \"configured-secret\", session_token = \"tok\" }\n";
        cfg +=
            function_block("env", "env", code, 256, 7, "environment = { MY_VAR = \"my value\" }");
        lambench::test_support::serve_options o;
        o.config_toml = cfg;
        o.state_dir = dir->state();
        svc = new lambench::test_support::serve_process(LAMBENCH_BIN, o);
        // The jailed functions come as zips, so their code is unpacked in the state directory,
        // as CreateFunction's always is.
        for (auto [name, handler, memory, timeout] : {std::tuple{"jail", "jail", 256, 5},
                                                      {"tmpfill", "tmpfill", 1536, 60},
                                                      {"readpaths", "readpaths", 128, 5},
                                                      {"other", "pid", 128, 5},
                                                      {"forkmany", "forkmany", 1769, 60},
                                                      {"forkbomb", "forkbomb", 1769, 15}})
            create(name, handler, memory, timeout);
    }
    static void TearDownTestSuite() {
        delete svc;
        delete scratch;
        delete dir;
        svc = nullptr;
        scratch = nullptr;
        dir = nullptr;
    }
    static void create(const std::string& name, const std::string& handler, int memory,
                       int timeout) {
        json b = {
            {"FunctionName", name},
            {"Runtime", "provided.al2023"},
            {"Handler", handler},
            {"Role", "arn:aws:iam::000000000000:role/x"},
            {"MemorySize", memory},
            {"Timeout", timeout},
            {"Code", {{"ZipFile", base64(lambench::test_support::zip_bootstrap(TESTFN_BIN))}}}};
        auto r = http("POST", svc->url() + "/2015-03-31/functions", b.dump());
        if (r.status != 201) throw std::runtime_error("create " + name + ": " + r.body);
    }
    static json stats(const std::string& name) {
        auto r = http("GET", svc->url() + "/2015-03-31/functions/" + name + "/lambench-stats");
        return json::parse(r.body);
    }
    static json invoke_json(const std::string& name, const std::string& payload = "{}") {
        auto r = svc->invoke(name, payload);
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.header("x-amz-function-error"), "") << r.body;
        return json::parse(r.body, nullptr, false);
    }
    void SetUp() override {
        if (!running_as_root() && needs_root())
            GTEST_SKIP() << "the sandbox's jail needs root (mount namespaces, setuid)";
    }
    virtual bool needs_root() const { return true; }
};

class SandboxAnyUser : public Sandbox {
    bool needs_root() const override { return false; }
};

TEST_F(SandboxAnyUser, StatsSayWhetherSandboxesAreIsolated) {
    auto iso = stats("jail")["Isolation"];
    ASSERT_TRUE(iso.is_object()) << stats("jail").dump();
    EXPECT_EQ(iso["Enabled"], running_as_root()) << iso.dump();
    EXPECT_EQ(iso["User"], "sbx_user1051");
    if (!running_as_root()) {
        EXPECT_NE(iso["Description"].get<std::string>().find("not running as root"),
                  std::string::npos)
            << iso.dump();
    }
}

TEST_F(Sandbox, RunsAsAnUnprivilegedUserWithLambdasLimitsOnAReadOnlyHost) {
    auto j = invoke_json("jail");
    EXPECT_NE(j["uid"], 0) << j.dump();
    EXPECT_NE(j["euid"], 0);
    EXPECT_EQ(j["user"], "sbx_user1051") << "its uid is named as on Lambda";
    EXPECT_EQ(j["nofile"], json::array({1024, 1024}));
    EXPECT_EQ(j["nproc"], json::array({1024, 1024}));
    EXPECT_EQ(j["etc"], EROFS) << "/etc is read-only";
    EXPECT_EQ(j["usr"], EROFS) << "/usr is read-only";
    EXPECT_EQ(j["task"], EROFS) << "the code at /var/task is read-only";
    EXPECT_EQ(j["tmp"], 0) << "/tmp is writable";
    EXPECT_FALSE(fs::exists("/etc/lambench-probe"));
}

TEST_F(Sandbox, TmpIsSizedByEphemeralStorageAndFullMeansENOSPC) {
    auto j = invoke_json("tmpfill", "600");
    EXPECT_EQ(j["errno"], ENOSPC) << j.dump();
    EXPECT_GE(j["written_mb"], 500) << j.dump();
    EXPECT_LE(j["written_mb"], 512) << "the default EphemeralStorage is 512 MB";

    auto u = http("PUT", svc->url() + "/2015-03-31/functions/tmpfill/configuration",
                  R"({"EphemeralStorage":{"Size":1024}})");
    ASSERT_EQ(u.status, 200) << u.body;
    EXPECT_EQ(json::parse(u.body)["EphemeralStorage"]["Size"], 1024);
    auto g = http("GET", svc->url() + "/2015-03-31/functions/tmpfill/configuration");
    EXPECT_EQ(json::parse(g.body)["EphemeralStorage"]["Size"], 1024);
    auto k = invoke_json("tmpfill", "600");
    EXPECT_EQ(k["errno"], 0) << k.dump();
    EXPECT_EQ(k["written_mb"], 600);
}

TEST_F(SandboxAnyUser, EphemeralStorageOutOfRangeIsRefused) {
    for (const char* body :
         {R"({"EphemeralStorage":{"Size":511}})", R"({"EphemeralStorage":{"Size":10241}})",
          R"({"EphemeralStorage":{"Size":"big"}})", R"({"EphemeralStorage":{}})",
          R"({"EphemeralStorage":512})"}) {
        auto u = http("PUT", svc->url() + "/2015-03-31/functions/jail/configuration", body);
        EXPECT_EQ(u.status, 400) << body << " " << u.body;
        EXPECT_EQ(u.header("x-amzn-errortype"), "InvalidParameterValueException") << body;
    }
    auto g = http("GET", svc->url() + "/2015-03-31/functions/jail/configuration");
    EXPECT_EQ(json::parse(g.body)["EphemeralStorage"]["Size"], 512);
}

TEST_F(Sandbox, StateDirOtherFunctionsCodeAndTheDatabasePasswordAreOutOfReach) {
    const fs::path state = dir->state();
    fs::path other_code;
    for (auto& run : fs::directory_iterator(state / "service"))
        if (run.path().filename().string().rfind("run-", 0) == 0)
            for (auto& c : fs::directory_iterator(run.path() / "code"))
                if (c.path().filename().string().rfind("other-", 0) == 0)
                    other_code = c.path() / "bootstrap";
    ASSERT_TRUE(fs::exists(other_code)) << "the other function's unpacked code";
    ASSERT_TRUE(fs::exists(state / "service" / "logs"));
    // The other function's environment is alive (idle): its root is one /proc link away.
    auto other = invoke_json("other");
    std::string other_root =
        "/proc/" + std::to_string(other["pid"].get<int>()) + "/root/var/task/bootstrap";

    std::vector<std::string> hidden = {state.string(),
                                       (state / "service" / "logs").string(),
                                       (state / "service" / "logs" / "jail.log").string(),
                                       (state / "db" / "password").string(),
                                       other_code.string(),
                                       other_code.parent_path().string(),
                                       other_root};
    std::string list = "/var/task/bootstrap|/etc/hostname|/usr/bin";
    for (auto& p : hidden) list += "|" + p;
    auto j = invoke_json("readpaths", json(list).dump());
    EXPECT_EQ(j["/var/task/bootstrap"], 0) << "its own code is readable: " << j.dump();
    EXPECT_EQ(j["/etc/hostname"], 0) << "the host's files are readable: " << j.dump();
    EXPECT_EQ(j["/usr/bin"], 0) << j.dump();
    for (auto& p : hidden) {
        ASSERT_TRUE(j.contains(p)) << p << " " << j.dump();
        int e = j[p].get<int>();
        EXPECT_TRUE(e == EACCES || e == ENOENT || e == EPERM)
            << p << " must be out of reach, got errno " << e << " (" << std::strerror(e) << ")";
    }
}

TEST_F(Sandbox, ForkingStopsAt1024TasksAndTheSandboxCarriesOn) {
    auto j = invoke_json("forkmany");
    EXPECT_EQ(j["errno"], EAGAIN) << j.dump();
    EXPECT_GE(j["forked"], 1000) << j.dump();
    EXPECT_LT(j["forked"], 1024) << "the function's own process counts too: " << j.dump();
    auto again = svc->invoke("forkmany");
    EXPECT_EQ(again.status, 200);
    EXPECT_FALSE(report_fields(unbase64(again.header("x-amz-log-result"))).count("Init Duration"))
        << "the same environment served again (warm)";
}

TEST_F(Sandbox, AForkBombIsContainedAndTheServiceCarriesOn) {
    auto bomb = std::async(std::launch::async, [] { return svc->invoke("forkbomb"); });
    // Until its timeout (15 s) the bomb holds the 1024 tasks its uid may have.
    int bomb_tasks = 0;
    for (int i = 0; i < 50 && bomb_tasks < 1000; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        bomb_tasks = processes_with_env("_HANDLER=forkbomb");
    }
    EXPECT_GE(bomb_tasks, 1000) << "the bomb did run";
    EXPECT_LE(bomb_tasks, 1024) << "the bomb is held at 1024 tasks";
    // Each sandbox has its own uid, so the bomb's 1024 tasks leave another sandbox its own 1024.
    auto during = invoke_json("forkmany");
    EXPECT_EQ(during["errno"], EAGAIN) << during.dump();
    EXPECT_GE(during["forked"], 1000) << "while the bomb holds its limit: " << during.dump();
    EXPECT_LE(processes_with_env("_HANDLER=forkbomb"), 1024);
    auto r = bomb.get();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-amz-function-error"), "Unhandled");
    EXPECT_NE(r.body.find("Sandbox.Timedout"), std::string::npos) << r.body;
    auto j = invoke_json("jail");
    EXPECT_EQ(j["nproc"], json::array({1024, 1024})) << "other functions still start";
    // Every task of the bomb is killed with its sandbox.
    int left = 0;
    for (int i = 0; i < 100 && (left = processes_with_env("_HANDLER=forkbomb")) > 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(left, 0) << "processes of the fork bomb outlived its sandbox";
}

TEST_F(SandboxAnyUser, EnvironmentIsLambdas) {
    auto j = invoke_json("env");
    if (running_as_root()) {
        EXPECT_EQ(j["LAMBDA_TASK_ROOT"], "/var/task");
        EXPECT_EQ(j["LAMBDA_RUNTIME_DIR"], "/var/runtime");
        EXPECT_EQ(j["cwd"], "/var/task");
    }
    EXPECT_EQ(j["LANG"], "en_US.UTF-8");
    EXPECT_EQ(j["PATH"], "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin");
    std::string task = j["LAMBDA_TASK_ROOT"];
    EXPECT_EQ(j["LD_LIBRARY_PATH"],
              "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:" + task + ":" + task +
                  "/lib:/opt/lib");
    EXPECT_EQ(j["AWS_ACCESS_KEY_ID"], "AKIDCONFIGURED") << "[service.credentials]";
    EXPECT_EQ(j["AWS_SECRET_ACCESS_KEY"], "configured-secret");
    EXPECT_EQ(j["AWS_SESSION_TOKEN"], "tok");
    EXPECT_TRUE(j["AWS_EXECUTION_ENV"].is_null()) << "unset for provided runtimes";
    EXPECT_EQ(j["MY_VAR"], "my value");
}

TEST(SandboxOff, RunsAsTheServiceAndSaysSoInStatsAndOnStderr) {
    temp_dir tmp;
    fs::path code = make_code_dir(tmp.path());
    service_process s("[service]\nsandbox_isolation = \"off\"\n" +
                      function_block("jail", "jail", code) + function_block("env", "env", code));
    auto st = json::parse(
        http("GET", s.url() + "/2015-03-31/functions/jail/lambench-stats").body)["Isolation"];
    EXPECT_EQ(st["Enabled"], false) << st.dump();
    EXPECT_EQ(st["MountNamespace"], false);
    EXPECT_NE(st["Description"].get<std::string>().find("sandbox_isolation = \"off\""),
              std::string::npos)
        << st.dump();
    std::string said = read_file(s.dir() / "serve.out");
    EXPECT_NE(said.find("sandboxes not isolated"), std::string::npos) << said;
    auto j = json::parse(s.invoke("jail").body);
    EXPECT_EQ(j["uid"], ::getuid()) << "the service's own user";
    auto e = json::parse(s.invoke("env").body);
    EXPECT_EQ(e["LAMBDA_TASK_ROOT"], e["cwd"]);
    EXPECT_NE(e["LAMBDA_TASK_ROOT"], "/var/task") << "the code directory itself";
}

TEST_F(SandboxAnyUser, ReservedEnvironmentKeysAreRefusedAsLambdaDoes) {
    const std::string prefix =
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported for "
        "modification. Reserved keys used in this request: ";
    json b = {{"FunctionName", "reserved"},
              {"Runtime", "provided.al2023"},
              {"Role", "arn:aws:iam::000000000000:role/x"},
              {"Environment", {{"Variables", {{"AWS_REGION", "eu-west-1"}, {"MINE", "1"}}}}},
              {"Code", {{"ZipFile", base64(lambench::test_support::zip_bootstrap(TESTFN_BIN))}}}};
    auto c = http("POST", svc->url() + "/2015-03-31/functions", b.dump());
    EXPECT_EQ(c.status, 400) << c.body;
    EXPECT_EQ(c.header("x-amzn-errortype"), "InvalidParameterValueException");
    EXPECT_EQ(json::parse(c.body)["message"], prefix + "AWS_REGION") << c.body;
    EXPECT_EQ(http("GET", svc->url() + "/2015-03-31/functions/reserved").status, 404);

    auto u =
        http("PUT", svc->url() + "/2015-03-31/functions/jail/configuration",
             json{{"Environment",
                   {{"Variables",
                     {{"AWS_SECRET_ACCESS_KEY", "s"}, {"AWS_ACCESS_KEY_ID", "k"}, {"TZ", "x"}}}}}}
                 .dump());
    EXPECT_EQ(u.status, 400) << u.body;
    EXPECT_EQ(json::parse(u.body)["message"],
              prefix + "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, TZ")
        << u.body;
    auto ok = http("PUT", svc->url() + "/2015-03-31/functions/jail/configuration",
                   R"({"Environment":{"Variables":{"LANG":"C.UTF-8","PATH":"/bin"}}})");
    EXPECT_EQ(ok.status, 200) << "LANG and PATH may be set: " << ok.body;
}

}  // namespace
