// Unit tests of the service's pure parts: log line formats, metrics arithmetic, name forms,
// package extraction rules, config parsing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "harness.hpp"
#include "service/config.hpp"
#include "service/errors.hpp"
#include "service/event_stream.hpp"
#include "service/journal.hpp"
#include "service/lambda_api.hpp"
#include "service/logs.hpp"
#include "service/memory_meter.hpp"
#include "service/runtime_api.hpp"
#include "service/util.hpp"
#include "service/zip_extract.hpp"

namespace svc = lambench::service;
namespace fs = std::filesystem;
using namespace lambench_test;

namespace {
svc::report_metrics metrics(double duration, int memory, std::uint64_t used,
                            std::optional<double> init, bool partial) {
    svc::report_metrics m;
    m.duration_ms = duration;
    m.memory_size_mb = memory;
    m.max_memory_used_mb = used;
    m.init_duration_ms = init;
    m.partial_model = partial;
    return m;
}
}  // namespace

TEST(ReportLine, WarmHasLambdasExactFormat) {
    auto m = metrics(9.54, 256, 21, std::nullopt, false);
    EXPECT_EQ(
        svc::report_line("abc", m),
        "REPORT RequestId: abc\tDuration: 9.54 ms\tBilled Duration: 10 ms\tMemory Size: 256 MB\t"
        "Max Memory Used: 21 MB\n");
}

TEST(ReportLine, ColdAddsInitDurationAndBillsIt) {
    auto m = metrics(9.54, 256, 21, 12.31, false);
    // Billed = ceil(12.31 + 9.54) = 22, not ceil(12.31) + ceil(9.54) = 23.
    EXPECT_EQ(
        svc::report_line("abc", m),
        "REPORT RequestId: abc\tDuration: 9.54 ms\tBilled Duration: 22 ms\tMemory Size: 256 MB\t"
        "Max Memory Used: 21 MB\tInit Duration: 12.31 ms\n");
}

TEST(ReportLine, FailuresCarryLambdasStatusFields) {
    auto t = metrics(3000.41, 128, 39, std::nullopt, false);
    t.status = "timeout";
    EXPECT_EQ(svc::report_line("abc", t),
              "REPORT RequestId: abc\tDuration: 3000.41 ms\tBilled Duration: 3001 ms\tMemory Size: "
              "128 MB\tMax Memory Used: 39 MB\tStatus: timeout\n");
    auto e = metrics(12.5, 128, 128, 40.25, false);
    e.status = "error";
    e.error_type = "Runtime.OutOfMemory";
    EXPECT_EQ(
        svc::report_line("abc", e),
        "REPORT RequestId: abc\tDuration: 12.50 ms\tBilled Duration: 53 ms\tMemory Size: "
        "128 MB\tMax Memory Used: 128 MB\tInit Duration: 40.25 ms\tStatus: error\tError Type: "
        "Runtime.OutOfMemory\n");
}

TEST(LogLines, InitStartNamesTheRuntime) {
    EXPECT_EQ(svc::init_start_line("provided.al2023", "eu-west-1"),
              "INIT_START Runtime Version: provided:al2023.lambench\tRuntime Version ARN: "
              "arn:aws:lambda:eu-west-1::runtime:lambench-provided.al2023\n");
}

TEST(MemoryMeter, ParsesProcStatus) {
    const std::string text =
        "Name:\tbootstrap\nVmPeak:\t   10000 kB\nVmHWM:\t    3072 kB\nVmRSS:\t    2048 kB\n"
        "RssAnon:\t     512 kB\nRssFile:\t    1500 kB\nRssShmem:\t      36 kB\nThreads:\t1\n";
    auto m = svc::parse_proc_status(text.data(), text.size());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->hwm_bytes, 3072u * 1024);
    EXPECT_EQ(m->resident(), 2048u * 1024);
    EXPECT_EQ(m->peak(), 3072u * 1024);
    // A kernel thread or a zombie has no VmRSS: nothing to count.
    const std::string kthread = "Name:\tkworker/0:1\nState:\tI (idle)\n";
    EXPECT_FALSE(svc::parse_proc_status(kthread.data(), kthread.size()));
    // Garbage is not a number.
    const std::string bad = "VmRSS:\t lots kB\n";
    EXPECT_FALSE(svc::parse_proc_status(bad.data(), bad.size()));
}

TEST(MemoryMeter, SumsTheTreeOfALiveProcessAndKeepsThePeak) {
    svc::memory_meter meter;
    auto self = svc::read_process_memory(::getpid());
    ASSERT_TRUE(self);
    EXPECT_GT(self->resident(), 0u);
    auto tree = svc::process_tree(::getpid());
    ASSERT_FALSE(tree.empty());
    EXPECT_EQ(tree.front(), ::getpid());
    auto s1 = meter.sample({::getpid()});
    EXPECT_GE(s1, self->resident());
    meter.sample({});  // everything gone: the peak stays
    EXPECT_EQ(meter.peak_bytes(), s1);
    EXPECT_FALSE(svc::read_process_memory(-1));
}

TEST(ReportLine, PartialModelIsMarked) {
    auto m = metrics(1, 128, 0, std::nullopt, true);
    EXPECT_NE(svc::report_line("x", m).find("\tLambench Resource Model: partial\n"),
              std::string::npos);
}

TEST(ReportLine, BilledDurationRoundsUpTheSum) {
    EXPECT_EQ(svc::billed_duration_ms(metrics(0.01, 128, 0, std::nullopt, false)), 1u);
    EXPECT_EQ(svc::billed_duration_ms(metrics(2.0, 128, 0, std::nullopt, false)), 2u);
    EXPECT_EQ(svc::billed_duration_ms(metrics(2.0, 128, 0, 0.5, false)), 3u);
    // A cold start: ceil(Init + Duration), never one more for rounding the two apart.
    EXPECT_EQ(svc::billed_duration_ms(metrics(0.4, 128, 0, 0.4, false)), 1u);
    EXPECT_EQ(svc::billed_duration_ms(metrics(1.3, 128, 0, 3.6, false)), 5u);
    EXPECT_EQ(svc::billed_duration_ms(metrics(1.0, 128, 0, 3.0, false)), 4u);
    EXPECT_EQ(svc::bytes_to_mb_ceil(1), 1u);
    EXPECT_EQ(svc::bytes_to_mb_ceil(1024 * 1024), 1u);
    EXPECT_EQ(svc::bytes_to_mb_ceil(1024 * 1024 + 1), 2u);
}

TEST(LogLines, StartEndAndTimeout) {
    EXPECT_EQ(svc::start_line("id1"), "START RequestId: id1 Version: $LATEST\n");
    EXPECT_EQ(svc::end_line("id1"), "END RequestId: id1\n");
    std::string t = svc::timeout_line("id1", 3);
    EXPECT_NE(t.find("Z id1 Task timed out after 3.00 seconds\n"), std::string::npos) << t;
    EXPECT_EQ(t[4], '-');
}

TEST(LogLines, TailKeepsLast4KB) {
    std::string log(5000, 'a');
    log += "END";
    EXPECT_EQ(svc::log_tail(log).size(), 4096u);
    EXPECT_EQ(svc::log_tail(log).substr(4093), "END");
    EXPECT_EQ(svc::log_tail("short"), "short");
}

TEST(Util, RequestIdIsUuidV4) {
    auto id = svc::new_request_id();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '4');
    EXPECT_NE(id, svc::new_request_id());
    auto trace = svc::new_trace_id();
    EXPECT_EQ(trace.rfind("Root=1-", 0), 0u);
    EXPECT_EQ(trace.size(),
              std::string("Root=1-12345678-123456789012345678901234;Sampled=0").size());
}

TEST(FunctionName, AllFormsResolve) {
    EXPECT_EQ(svc::resolve_function_name("fn", "", "us-east-1"), "fn");
    EXPECT_EQ(svc::resolve_function_name("fn:$LATEST", "", "us-east-1"), "fn");
    EXPECT_EQ(svc::resolve_function_name("fn%3A%24LATEST", "", "us-east-1"), "fn");
    EXPECT_EQ(svc::resolve_function_name(
                  "arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Afn", "", "us-east-1"),
              "fn");
    EXPECT_EQ(svc::resolve_function_name(
                  "arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST", "", "us-east-1"),
              "fn");
    EXPECT_EQ(svc::resolve_function_name("000000000000:function:fn", "", "us-east-1"), "fn");
    EXPECT_EQ(svc::resolve_function_name("fn", "$LATEST", "us-east-1"), "fn");
}

TEST(FunctionName, OtherQualifiersAreNotFound) {
    try {
        svc::resolve_function_name("fn:3", "", "us-east-1");
        FAIL();
    } catch (const svc::api_error& e) {
        EXPECT_EQ(e.status, 404);
        EXPECT_EQ(e.code, "ResourceNotFoundException");
    }
    EXPECT_THROW(svc::resolve_function_name("fn", "prod", "us-east-1"), svc::api_error);
}

TEST(FunctionName, BadNamesAreInvalidParameters) {
    try {
        svc::resolve_function_name("bad%20name", "", "us-east-1");
        FAIL();
    } catch (const svc::api_error& e) {
        EXPECT_EQ(e.status, 400);
        EXPECT_NE(std::string(e.what()).find("FunctionName"), std::string::npos);
    }
}

// Lambda: another region's ARN is not found there (404, "Functions from 'X' are not reachable in
// this region ('Y')"); another account's is access denied (403).
TEST(FunctionName, AnotherRegionIsNotFound) {
    try {
        svc::resolve_function_name("arn:aws:lambda:eu-west-1:000000000000:function:fn", "",
                                   "us-east-1");
        FAIL() << "an ARN of eu-west-1 resolved in us-east-1";
    } catch (const svc::api_error& e) {
        EXPECT_EQ(e.status, 404);
        EXPECT_EQ(e.code, "ResourceNotFoundException");
        EXPECT_STREQ(e.what(),
                     "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')");
    }
    EXPECT_EQ(svc::resolve_function_name("arn:aws:lambda:eu-west-1:000000000000:function:fn", "",
                                         "eu-west-1"),
              "fn");
}

TEST(FunctionName, AnotherAccountIsAccessDenied) {
    for (const char* name :
         {"arn:aws:lambda:us-east-1:123456789012:function:fn", "123456789012:function:fn"}) {
        try {
            svc::resolve_function_name(name, "", "us-east-1");
            FAIL() << name << " resolved";
        } catch (const svc::api_error& e) {
            EXPECT_EQ(e.status, 403) << name;
            EXPECT_EQ(e.code, "AccessDeniedException") << name;
            EXPECT_NE(std::string(e.what()).find("123456789012"), std::string::npos) << e.what();
        }
    }
}

TEST(Validation, MemoryAndTimeoutBoundsNameTheField) {
    EXPECT_TRUE(svc::validate_memory(128).empty());
    EXPECT_TRUE(svc::validate_memory(10240).empty());
    EXPECT_NE(svc::validate_memory(127).find("MemorySize"), std::string::npos);
    EXPECT_NE(svc::validate_memory(10241).find("MemorySize"), std::string::npos);
    EXPECT_TRUE(svc::validate_timeout(1).empty());
    EXPECT_TRUE(svc::validate_timeout(900).empty());
    EXPECT_NE(svc::validate_timeout(0).find("Timeout"), std::string::npos);
    EXPECT_NE(svc::validate_timeout(901).find("Timeout"), std::string::npos);
}

class ZipExtract : public ::testing::Test {
  protected:
    temp_dir tmp;
    fs::path dest() const { return tmp.path() / "out"; }
    std::string rejected(const std::vector<zip_entry>& entries, svc::zip_limits limits = {}) {
        try {
            svc::extract_zip(make_zip(entries), dest(), limits);
        } catch (const svc::zip_rejected& e) {
            return e.what();
        }
        return {};
    }
};

TEST_F(ZipExtract, ExtractsFilesDirsAndKeepsExecBits) {
    auto bytes = make_zip({{"bootstrap", "#!/bin/sh\n", 0100755},
                           {"lib/", "", 040755},
                           {"lib/data.txt", "hello", 0100644},
                           {"link", "lib/data.txt", 0120777}});
    auto n = svc::extract_zip(bytes, dest());
    EXPECT_EQ(n, 15u);
    EXPECT_EQ(read_file(dest() / "lib/data.txt"), "hello");
    struct stat st {};
    ASSERT_EQ(::stat((dest() / "bootstrap").c_str(), &st), 0);
    EXPECT_TRUE(st.st_mode & S_IXUSR);
    ASSERT_EQ(::stat((dest() / "lib/data.txt").c_str(), &st), 0);
    EXPECT_FALSE(st.st_mode & S_IXUSR);
    EXPECT_TRUE(fs::is_symlink(dest() / "link"));
    EXPECT_EQ(read_file(dest() / "link"), "hello");
}

TEST_F(ZipExtract, RejectsParentTraversal) {
    EXPECT_NE(rejected({{"../evil", "x"}}).find(".."), std::string::npos);
    EXPECT_NE(rejected({{"a/../../evil", "x"}}).find(".."), std::string::npos);
    EXPECT_FALSE(fs::exists(tmp.path() / "evil"));
}

TEST_F(ZipExtract, RejectsAbsolutePaths) {
    EXPECT_NE(rejected({{"/tmp/lambench-evil", "x"}}).find("absolute"), std::string::npos);
    EXPECT_FALSE(fs::exists("/tmp/lambench-evil"));
}

TEST_F(ZipExtract, RejectsSymlinksThatEscape) {
    EXPECT_NE(rejected({{"up", "../../etc", 0120777}}).find("escapes"), std::string::npos);
    EXPECT_NE(rejected({{"abs", "/etc/passwd", 0120777}}).find("escapes"), std::string::npos);
}

TEST_F(ZipExtract, RejectsWritingThroughASymlinkedDirectory) {
    // A link that stays inside is fine, but a later entry must not be written through a link
    // that was swapped to point outside — here the link itself is refused first.
    EXPECT_FALSE(rejected({{"d", "/tmp", 0120777}, {"d/x", "y"}}).empty());
}

TEST_F(ZipExtract, RejectsAChainOfLinksThatLeavesTheRootOnlyWhenFollowed) {
    // x1/.../x20/z -> ../..(x20) is the root itself; "esc" then climbs 20 more levels through
    // it. Lexically both stay inside; followed as the kernel does, esc is /etc/shadow.
    std::string dirs, ups;
    for (int i = 1; i <= 20; ++i) {
        dirs += "x" + std::to_string(i) + "/";
        ups += (i > 1 ? "/" : "") + std::string("..");
    }
    std::vector<zip_entry> entries{{dirs, "", 040755},
                                   {dirs + "z", ups, 0120777},
                                   {"esc", dirs + "z/" + ups + "/etc/shadow", 0120777}};
    auto why = rejected(entries);
    EXPECT_NE(why.find("resolves outside"), std::string::npos) << why;
}

TEST_F(ZipExtract, RejectsLinksToLinksThatEscape) {
    // a -> b -> c -> ../.. : each hop looks local; together they leave the package.
    EXPECT_FALSE(rejected({{"sub/", "", 040755},
                           {"sub/c", "../..", 0120777},
                           {"sub/b", "c", 0120777},
                           {"a", "sub/b/x", 0120777}})
                     .empty());
    // An entry that makes an earlier link escape only once it exists (order matters): "early"
    // is checked before a/b/k exists, when it still looks inside.
    auto why = rejected({{"a/b/", "", 040755},
                         {"early", "a/b/k/../../../x", 0120777},
                         {"a/b/k", "../..", 0120777}});
    EXPECT_NE(why.find("resolves outside"), std::string::npos) << why;
}

TEST_F(ZipExtract, KeepsLinkChainsThatStayInside) {
    auto bytes = make_zip({{"lib/", "", 040755},
                           {"lib/real.txt", "data", 0100644},
                           {"lib/v1", "real.txt", 0120777},
                           {"current", "lib/v1", 0120777},
                           {"lib/self", "../lib", 0120777},
                           {"loop", "lib/self/self/self/real.txt", 0120777}});
    svc::extract_zip(bytes, dest());
    EXPECT_EQ(read_file(dest() / "current"), "data");
    EXPECT_EQ(read_file(dest() / "loop"), "data");
}

TEST_F(ZipExtract, RejectsLinkCycles) {
    EXPECT_FALSE(rejected({{"a", "b/x", 0120777}, {"b", "a/y", 0120777}}).empty());
}

// Found by fuzz/fuzz_zip_extract: a symlink entry whose data cannot be inflated (or is empty)
// made symlink(2) fail with a system_error (a 500) instead of refusing the package.
TEST_F(ZipExtract, RejectsCorruptOrEmptySymlinkEntries) {
    EXPECT_NE(rejected({{"empty", "", 0120777}}).find("empty target"), std::string::npos);
    auto bytes = make_zip({{"l", std::string(200, 'a'), 0120777}});  // compressible: deflated
    auto u16 = [&](std::size_t at) {
        return static_cast<std::size_t>(static_cast<unsigned char>(bytes[at]) |
                                        static_cast<unsigned char>(bytes[at + 1]) << 8);
    };
    ASSERT_EQ(bytes.compare(0, 4, "PK\x03\x04"), 0);
    ASSERT_EQ(u16(8), 8u);                            // the local header says deflate
    const std::size_t data = 30 + u16(26) + u16(28);  // header, name, extra field
    for (std::size_t i = data; i < data + 4; ++i) bytes[i] = '\xff';  // an invalid block type
    std::string why;
    try {
        svc::extract_zip(bytes, dest());
    } catch (const svc::zip_rejected& e) {
        why = e.what();
    }
    EXPECT_NE(why.find("corrupt"), std::string::npos) << why;
}

TEST_F(ZipExtract, RejectsDecompressionBombByRatio) {
    std::string zeros(64 * 1024 * 1024, '\0');
    EXPECT_NE(rejected({{"bomb", zeros}}).find("compression ratio"), std::string::npos);
}

TEST_F(ZipExtract, RejectsOverTotalSize) {
    svc::zip_limits small;
    small.max_total_bytes = 1000;
    std::string noise;
    for (int i = 0; i < 2000; ++i) noise += static_cast<char>((i * 7919) % 251);
    EXPECT_NE(rejected({{"a", noise}}, small).find("unzipped size"), std::string::npos);
}

TEST_F(ZipExtract, RejectsOverZipBytesAndGarbage) {
    svc::zip_limits tiny;
    tiny.max_zip_bytes = 10;
    EXPECT_NE(rejected({{"a", "hello world"}}, tiny).find("over the limit"), std::string::npos);
    EXPECT_THROW(svc::extract_zip("definitely not a zip", dest()), svc::zip_rejected);
}

TEST(Config, ParsesServiceAndFunctions) {
    temp_dir tmp;
    write_file(tmp.path() / "s.toml", R"(
[service]
idle_timeout = 5
init_cpu = "proportional"
concurrency = 3
launchers = { "nodejs20.x" = "node /opt/ric/index.mjs {handler}" }
[[function]]
name = "f1"
code = "code"
memory = 512
timeout = 7
environment = { A = "1", B = 2 }
)");
    auto cfg = svc::load_config(tmp.path() / "s.toml");
    EXPECT_EQ(cfg.idle_timeout_s, 5);
    EXPECT_EQ(cfg.init_cpu, svc::init_cpu_mode::proportional);
    EXPECT_EQ(cfg.concurrency, 3);
    EXPECT_EQ(cfg.launchers.at("nodejs20.x"), "node /opt/ric/index.mjs {handler}");
    ASSERT_EQ(cfg.functions.size(), 1u);
    EXPECT_EQ(cfg.functions[0].memory_mb, 512);
    EXPECT_EQ(cfg.functions[0].timeout_s, 7);
    EXPECT_EQ(cfg.functions[0].environment.at("B"), "2");
    EXPECT_EQ(cfg.functions[0].code, (tmp.path() / "code").string());
}

TEST(Config, SandboxSettingsCredentialsAndEphemeralStorage) {
    temp_dir tmp;
    write_file(tmp.path() / "s.toml", R"(
[service]
sandbox_isolation = "off"
credentials = { access_key_id = "AKID", secret_access_key = "SECRET", session_token = "TOKEN" }
[[function]]
name = "f1"
code = "code"
ephemeral_storage = 10240
)");
    auto cfg = svc::load_config(tmp.path() / "s.toml");
    EXPECT_EQ(cfg.sandbox_isolation, "off");
    EXPECT_EQ(cfg.credentials.access_key_id, "AKID");
    EXPECT_EQ(cfg.credentials.secret_access_key, "SECRET");
    EXPECT_EQ(cfg.credentials.session_token, "TOKEN");
    EXPECT_EQ(cfg.functions.at(0).ephemeral_mb, 10240);
    EXPECT_EQ(svc::service_config{}.sandbox_isolation, "auto");
    EXPECT_EQ(svc::function_spec{}.ephemeral_mb, 512);
}

TEST(Config, SandboxValuesOutOfRangeAndReservedKeysAreRefused) {
    temp_dir tmp;
    auto err = [&](const std::string& text) {
        write_file(tmp.path() / "s.toml", text);
        try {
            svc::load_config(tmp.path() / "s.toml");
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(err("[service]\nsandbox_isolation = \"on\"\n").find("sandbox_isolation"),
              std::string::npos);
    EXPECT_NE(err("[service]\ncredentials = { token = \"x\" }\n").find("token"), std::string::npos);
    EXPECT_NE(err("[[function]]\nname = \"f\"\ncode = \"c\"\nephemeral_storage = 511\n")
                  .find("EphemeralStorage.Size must be between 512 and 10240 MB, got 511"),
              std::string::npos);
    EXPECT_NE(err("[[function]]\nname = \"f\"\ncode = \"c\"\nenvironment = { TZ = \"x\" }\n")
                  .find("Reserved keys used in this request: TZ"),
              std::string::npos);
    EXPECT_EQ(svc::validate_ephemeral_storage(512), "");
    EXPECT_EQ(svc::validate_ephemeral_storage(10240), "");
    EXPECT_NE(svc::validate_ephemeral_storage(10241), "");
    EXPECT_NE(svc::validate_ephemeral_storage(-1), "");
    EXPECT_EQ(svc::validate_environment_keys({{"LANG", "x"}, {"PATH", "/bin"}, {"MY", "1"}}), "");
    EXPECT_EQ(svc::validate_environment_keys(
                  {{"_HANDLER", "h"}, {"AWS_LAMBDA_RUNTIME_API", "x"}, {"OK", "1"}}),
              "Lambda was unable to configure your environment variables because the environment "
              "variables you have provided contains reserved keys that are currently not "
              "supported for modification. Reserved keys used in this request: "
              "AWS_LAMBDA_RUNTIME_API, _HANDLER");
}

TEST(Config, BadValuesNameTheKey) {
    temp_dir tmp;
    auto err = [&](const std::string& text) {
        write_file(tmp.path() / "s.toml", text);
        try {
            svc::load_config(tmp.path() / "s.toml");
        } catch (const std::runtime_error& e) {
            return std::string(e.what());
        }
        return std::string();
    };
    EXPECT_NE(err("[[function]]\nname='a'\ncode='c'\nmemory=64\n").find("MemorySize"),
              std::string::npos);
    EXPECT_NE(err("[[function]]\nname='a'\ncode='c'\ntimeout=1000\n").find("Timeout"),
              std::string::npos);
    EXPECT_NE(err("[service]\ninit_cpu='half'\n").find("init_cpu"), std::string::npos);
    EXPECT_NE(err("[service]\nbogus=1\n").find("bogus"), std::string::npos);
    EXPECT_NE(err("[[function]]\nname='a b'\ncode='c'\n").find("FunctionName"), std::string::npos);
    EXPECT_NE(err("[[function]]\nname='a'\n").find("code"), std::string::npos);
    EXPECT_NE(err("this is = = not toml").find("s.toml"), std::string::npos);
}

// ---- journals (docs/state.md) ----

TEST(Journal, DamagedLinesAreReportedAndSkippedAndTheRestIsKept) {
    temp_dir t;
    const fs::path file = t.path() / "j.jsonl";
    write_file(file, std::string(R"({"v":1,"op":"put","name":"a"})") + "\n" +
                         std::string("\xff\xfe\x00garbage\n", 11) + R"({"v":2,"op":"put"})" + "\n" +
                         R"([1,2])" + "\n" + R"({"v":1})" + "\n\n" +
                         R"({"v":1,"op":"put","name":"b"})" + "\n" + R"({"v":1,"op":"pu)");
    auto c = svc::read_journal(file);
    ASSERT_EQ(c.records.size(), 2u);
    EXPECT_EQ(c.records[0]["name"], "a");
    EXPECT_EQ(c.records[1]["name"], "b");
    ASSERT_EQ(c.problems.size(), 5u);
    EXPECT_NE(c.problems[0].find("line 2: not a JSON record"), std::string::npos) << c.problems[0];
    EXPECT_NE(c.problems[1].find("line 3: record version 2 (this lambench reads 1)"),
              std::string::npos)
        << c.problems[1];
    EXPECT_NE(c.problems[2].find("line 4: not a JSON object"), std::string::npos) << c.problems[2];
    EXPECT_NE(c.problems[3].find("line 5: no \"op\""), std::string::npos) << c.problems[3];
    EXPECT_NE(c.problems[4].find("line 8: the last record is cut short (15 bytes"),
              std::string::npos)
        << c.problems[4];
}

TEST(Journal, AnAbsentFileIsEmptyAndARewriteReplacesItWhole) {
    temp_dir t;
    const fs::path file = t.path() / "j.jsonl";
    auto none = svc::read_journal(file);
    EXPECT_TRUE(none.records.empty());
    EXPECT_TRUE(none.problems.empty());
    svc::journal j(file);
    j.append({{"op", "x"}, {"n", 1}});
    j.append({{"op", "x"}, {"n", 2}});
    j.sync();
    EXPECT_EQ(j.appended(), 2u);
    EXPECT_EQ(svc::read_journal(file).records.size(), 2u);
    j.rewrite({{{"op", "y"}}});
    j.append({{"op", "z"}});
    auto c = svc::read_journal(file);
    ASSERT_EQ(c.records.size(), 2u);
    EXPECT_EQ(c.records[0]["op"], "y");
    EXPECT_EQ(c.records[0]["v"], svc::journal_version);
    EXPECT_EQ(c.records[1]["op"], "z");
    EXPECT_TRUE(c.problems.empty());
}

namespace es = lambench::service::event_stream;

TEST(EventStream, Crc32IsZlibs) {
    EXPECT_EQ(es::crc32("123456789"), 0xCBF43926u);  // the standard check value
    EXPECT_EQ(es::crc32(""), 0u);
    EXPECT_EQ(es::crc32("56789", es::crc32("1234")), 0xCBF43926u);  // running
}

TEST(EventStream, MessageLayoutLengthsAndCrcs) {
    const std::array<es::header, 1> h = {es::header{":a", "xy"}};
    std::string m = es::message(h, "pay");
    // 12 prelude + (1 + 2 + 1 + 2 + 2) headers + 3 payload + 4 CRC.
    ASSERT_EQ(m.size(), 27u);
    auto be = [&](std::size_t at) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(m[at])) << 24 |
               static_cast<std::uint32_t>(static_cast<unsigned char>(m[at + 1])) << 16 |
               static_cast<std::uint32_t>(static_cast<unsigned char>(m[at + 2])) << 8 |
               static_cast<std::uint32_t>(static_cast<unsigned char>(m[at + 3]));
    };
    EXPECT_EQ(be(0), 27u);
    EXPECT_EQ(be(4), 8u);
    EXPECT_EQ(be(8), es::crc32(std::string_view(m).substr(0, 8)));
    EXPECT_EQ(m.substr(12, 8), std::string("\x02:a\x07\x00\x02xy", 8));
    EXPECT_EQ(m.substr(20, 3), "pay");
    EXPECT_EQ(be(23), es::crc32(std::string_view(m).substr(0, 23)));
}

TEST(EventStream, LambdaEventsCarryTheirHeadersAndJson) {
    std::string chunk = es::payload_chunk(std::string("\0\xff", 2));
    EXPECT_NE(chunk.find("PayloadChunk"), std::string::npos);
    EXPECT_EQ(chunk.substr(chunk.size() - 6, 2), std::string("\0\xff", 2));
    std::string ok = es::invoke_complete("", "", "");
    EXPECT_EQ(ok.substr(ok.size() - 6, 2), "{}");
    std::string bad = es::invoke_complete("Err\xff", "details", "bG9n");
    auto json_at = bad.find("{\"");
    ASSERT_NE(json_at, std::string::npos);
    auto j = nlohmann::json::parse(bad.substr(json_at, bad.size() - 4 - json_at));
    EXPECT_EQ(j["ErrorCode"], "Err\xef\xbf\xbd");  // invalid UTF-8 becomes U+FFFD
    EXPECT_EQ(j["ErrorDetails"], "details");
    EXPECT_EQ(j["LogResult"], "bG9n");
}

TEST(EventStream, RefusesWhatTheFormatCannotHold) {
    std::string long_name(256, 'n');
    std::array<es::header, 1> h = {es::header{long_name, "v"}};
    EXPECT_THROW(es::message(h, ""), std::length_error);
    std::string long_value(65536, 'v');
    h = {es::header{"n", long_value}};
    EXPECT_THROW(es::message(h, ""), std::length_error);
    EXPECT_THROW(es::message({}, std::string(es::max_message, 'p')), std::length_error);
}

namespace {
lambench::service::http::request streamed_request(
    std::vector<std::pair<std::string, std::string>> fields) {
    lambench::service::http::request req;
    for (auto& [k, v] : fields) req.set(k, v);
    return req;
}
}  // namespace

TEST(StreamTrailers, ErrorTypeAndBase64BodyAreDecoded) {
    namespace svc = lambench::service;
    EXPECT_FALSE(svc::stream_error_of(streamed_request({})).has_value());
    auto e = svc::stream_error_of(
        streamed_request({{"Lambda-Runtime-Function-Error-Type", "TypeError"},
                          {"Lambda-Runtime-Function-Error-Body",
                           lambench::common::base64_encode(R"({"errorMessage":"m"})")}}));
    ASSERT_TRUE(e);
    EXPECT_EQ(e->type, "TypeError");
    EXPECT_EQ(e->body, R"({"errorMessage":"m"})");
}

TEST(StreamTrailers, MissingOrBrokenPartsGetDefaults) {
    namespace svc = lambench::service;
    // Not base64: taken as it is; the type from the body.
    auto raw = svc::stream_error_of(
        streamed_request({{"Lambda-Runtime-Function-Error-Body", R"({"errorType":"X!"})"}}));
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->type, "X!");
    EXPECT_EQ(raw->body, R"({"errorType":"X!"})");
    auto only_type =
        svc::stream_error_of(streamed_request({{"Lambda-Runtime-Function-Error-Type", "Boom"}}));
    ASSERT_TRUE(only_type);
    EXPECT_EQ(nlohmann::json::parse(only_type->body)["errorType"], "Boom");
    auto empty =
        svc::stream_error_of(streamed_request({{"Lambda-Runtime-Function-Error-Body", ""}}));
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->type, "Runtime.Unknown");
    EXPECT_TRUE(svc::streaming_mode(
        streamed_request({{"Lambda-Runtime-Function-Response-Mode", "STREAMING"}})));
    EXPECT_FALSE(svc::streaming_mode(
        streamed_request({{"Lambda-Runtime-Function-Response-Mode", "buffered"}})));
}

TEST(Config, StreamLimitsAreReadAndChecked) {
    temp_dir tmp;
    write_file(tmp.path() / "s.toml",
               "[service]\nstream_max_bytes = 1000\nstream_burst_bytes = 0\nstream_rate = 5\n");
    auto cfg = lambench::service::load_config(tmp.path() / "s.toml");
    EXPECT_EQ(cfg.stream_max_bytes, 1000u);
    EXPECT_EQ(cfg.stream_burst_bytes, 0u);
    EXPECT_EQ(cfg.stream_rate, 5u);
    write_file(tmp.path() / "bad.toml", "[service]\nstream_max_bytes = 0\n");
    EXPECT_THROW(lambench::service::load_config(tmp.path() / "bad.toml"), std::runtime_error);
    write_file(tmp.path() / "neg.toml", "[service]\nstream_rate = -1\n");
    EXPECT_THROW(lambench::service::load_config(tmp.path() / "neg.toml"), std::runtime_error);
}
