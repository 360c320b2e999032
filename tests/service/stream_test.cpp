// Response streaming against a real `lambench serve`: the C++ runtime client's run_streaming()
// (functions/stream) streams through the Runtime API, InvokeWithResponseStream answers in the
// event-stream framing as the chunks are written, a buffered Invoke gets the whole body, and the
// limits (size, bandwidth beyond the burst) hold. The AWS SDK for JavaScript reads the same
// stream (stream_check.mjs).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace lambench_test;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

namespace {

struct event {
    std::map<std::string, std::string> headers;
    std::string payload;
    double at_ms = 0;  // since the request was sent
};

std::uint32_t be32(const std::string& s, std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) << 24 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

std::uint32_t zlib_crc(const std::string& s, std::size_t from, std::size_t n) {
    return static_cast<std::uint32_t>(
        ::crc32(0, reinterpret_cast<const Bytef*>(s.data() + from), static_cast<uInt>(n)));
}

// An event-stream reader independent of the service's encoder: zlib's CRC32, and every length
// checked; each complete message is stamped with its arrival time.
struct stream_reader {
    steady::time_point start = steady::now();
    std::string buf;
    std::vector<event> events;
    std::string error;

    void feed(const char* data, std::size_t n) {
        buf.append(data, n);
        while (error.empty() && buf.size() >= 12) {
            std::uint32_t total = be32(buf, 0), hlen = be32(buf, 4);
            if (zlib_crc(buf, 0, 8) != be32(buf, 8)) {
                error = "prelude CRC mismatch";
                return;
            }
            if (total < 16 || hlen > total - 16) {
                error = "bad lengths";
                return;
            }
            if (buf.size() < total) return;
            if (zlib_crc(buf, 0, total - 4) != be32(buf, total - 4)) {
                error = "message CRC mismatch";
                return;
            }
            event e;
            e.at_ms = std::chrono::duration<double, std::milli>(steady::now() - start).count();
            std::size_t p = 12, hend = 12 + hlen;
            while (p < hend) {
                std::size_t nlen = static_cast<unsigned char>(buf[p++]);
                std::string name = buf.substr(p, nlen);
                p += nlen;
                if (buf[p++] != 7) {
                    error = "header type other than string";
                    return;
                }
                std::size_t vlen = static_cast<std::size_t>(static_cast<unsigned char>(buf[p]))
                                       << 8 |
                                   static_cast<unsigned char>(buf[p + 1]);
                p += 2;
                e.headers[name] = buf.substr(p, vlen);
                p += vlen;
            }
            e.payload = buf.substr(hend, total - 4 - hend);
            events.push_back(std::move(e));
            buf.erase(0, total);
        }
    }
};

struct stream_result {
    long status = 0;
    std::string content_type;
    stream_reader reader;
};

std::size_t on_data(char* data, std::size_t size, std::size_t n, void* user) {
    static_cast<stream_reader*>(user)->feed(data, size * n);
    return size * n;
}

stream_result invoke_stream(const std::string& base, const std::string& fn,
                            const std::string& payload, const std::string& log_type = {}) {
    stream_result r;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
    std::string url = base + "/2021-11-15/functions/" + fn + "/response-streaming-invocations";
    curl_slist* list = nullptr;
    list = curl_slist_append(list, "Content-Type: application/json");
    if (!log_type.empty()) list = curl_slist_append(list, ("X-Amz-Log-Type: " + log_type).c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hl(list, &curl_slist_free_all);
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, &on_data);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &r.reader);
    curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 60L);
    r.reader.start = steady::now();
    if (curl_easy_perform(c.get()) != CURLE_OK) return r;
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &r.status);
    char* ct = nullptr;
    curl_easy_getinfo(c.get(), CURLINFO_CONTENT_TYPE, &ct);
    if (ct) r.content_type = ct;
    return r;
}

// A directory holding functions/stream (built against the runtime client) as `bootstrap`.
fs::path stream_code_dir(const fs::path& parent) {
    fs::path dir = parent / "stream-code";
    fs::create_directories(dir);
    fs::copy_file(STREAMFN_BIN, dir / "bootstrap", fs::copy_options::overwrite_existing);
    fs::permissions(dir / "bootstrap", fs::perms::owner_all | fs::perms::group_read |
                                           fs::perms::group_exec | fs::perms::others_read |
                                           fs::perms::others_exec);
    return dir;
}

class Streaming : public ::testing::Test {
  protected:
    temp_dir tmp;
    fs::path code = stream_code_dir(tmp.path());
};

}  // namespace

TEST_F(Streaming, ChunksArriveAsTheyAreWrittenThenInvokeComplete) {
    service_process s("[service]\n" + function_block("st", "bootstrap", code, 256, 10));
    auto r = invoke_stream(s.url(), "st", R"({"chunks":3,"delay_ms":300})", "Tail");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "application/vnd.amazon.eventstream");
    ASSERT_TRUE(r.reader.error.empty()) << r.reader.error;
    ASSERT_EQ(r.reader.events.size(), 4u);
    for (int i = 0; i < 3; ++i) {
        const auto& e = r.reader.events[static_cast<std::size_t>(i)];
        EXPECT_EQ(e.headers.at(":event-type"), "PayloadChunk");
        EXPECT_EQ(e.headers.at(":message-type"), "event");
        EXPECT_EQ(e.payload, "chunk " + std::to_string(i) + "\n");
    }
    const auto& done = r.reader.events[3];
    EXPECT_EQ(done.headers.at(":event-type"), "InvokeComplete");
    EXPECT_EQ(done.headers.at(":content-type"), "application/json");
    auto j = json::parse(done.payload);
    EXPECT_FALSE(j.contains("ErrorCode")) << done.payload;
    std::string log = unbase64(j.value("LogResult", ""));
    EXPECT_NE(log.find("REPORT RequestId: "), std::string::npos) << log;
    EXPECT_NE(log.find("Lambench Streamed Bytes: 24"), std::string::npos) << log;
    // Forwarded, not buffered: the first chunk is there two delays before the last.
    EXPECT_GE(r.reader.events[2].at_ms - r.reader.events[0].at_ms, 500.0);
    EXPECT_GE(r.reader.events[1].at_ms - r.reader.events[0].at_ms, 250.0);
}

TEST_F(Streaming, AnErrorMidStreamIsAnErrorCompletionAfterTheChunksSent) {
    service_process s("[service]\n" + function_block("st", "bootstrap", code, 256, 10));
    auto r = invoke_stream(s.url(), "st", R"({"chunks":3,"delay_ms":0,"fail_after":2})");
    ASSERT_EQ(r.status, 200);
    ASSERT_TRUE(r.reader.error.empty()) << r.reader.error;
    ASSERT_EQ(r.reader.events.size(), 3u);
    EXPECT_EQ(r.reader.events[0].payload, "chunk 0\n");
    EXPECT_EQ(r.reader.events[1].payload, "chunk 1\n");
    auto j = json::parse(r.reader.events[2].payload);
    EXPECT_EQ(j["ErrorCode"], "std::runtime_error") << r.reader.events[2].payload;
    auto details = json::parse(j["ErrorDetails"].get<std::string>());
    EXPECT_EQ(details["errorMessage"], "failed after 2 chunks");
    EXPECT_EQ(details["errorType"], "std::runtime_error");

    // An error before any chunk: reported through /error, still an error completion.
    auto early = invoke_stream(s.url(), "st", R"({"chunks":3,"fail_after":0})");
    ASSERT_EQ(early.reader.events.size(), 1u);
    EXPECT_EQ(json::parse(early.reader.events[0].payload)["ErrorCode"], "std::runtime_error");

    // The sandbox goes on: the next invocation streams normally.
    auto next = invoke_stream(s.url(), "st", R"({"chunks":2,"delay_ms":0})");
    ASSERT_EQ(next.reader.events.size(), 3u);
    EXPECT_EQ(next.reader.events[1].payload, "chunk 1\n");
}

TEST_F(Streaming, BufferedInvokeOfAStreamingFunctionGetsTheWholeBody) {
    service_process s("[service]\n" + function_block("st", "bootstrap", code, 256, 10));
    auto r = s.invoke("st", R"({"chunks":4,"delay_ms":10})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "chunk 0\nchunk 1\nchunk 2\nchunk 3\n");
    EXPECT_TRUE(r.header("x-amz-function-error").empty());
    auto bad = s.invoke("st", R"({"chunks":4,"fail_after":1})");
    EXPECT_EQ(bad.header("x-amz-function-error"), "Unhandled");
    EXPECT_EQ(json::parse(bad.body)["errorMessage"], "failed after 1 chunks") << bad.body;
}

TEST_F(Streaming, NonStreamingFunctionAnswersInOneChunk) {
    fs::path plain = make_code_dir(tmp.path());
    service_process s("[service]\n" + function_block("echo", "echo", plain));
    auto r = invoke_stream(s.url(), "echo", R"({"a":1})");
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.reader.events.size(), 2u);
    EXPECT_EQ(r.reader.events[0].payload, R"({"a":1})");
    EXPECT_EQ(r.reader.events[1].headers.at(":event-type"), "InvokeComplete");
}

TEST_F(Streaming, OverTheSizeLimitTheStreamEndsWithResponseSizeTooLarge) {
    service_process s("[service]\nstream_max_bytes = 1000\n" +
                      function_block("st", "bootstrap", code, 256, 10));
    auto r = invoke_stream(s.url(), "st", R"({"chunks":5,"delay_ms":0,"bytes":400})", "Tail");
    ASSERT_EQ(r.status, 200);
    ASSERT_GE(r.reader.events.size(), 2u);
    std::size_t streamed = 0;
    for (std::size_t i = 0; i + 1 < r.reader.events.size(); ++i)
        streamed += r.reader.events[i].payload.size();
    EXPECT_LE(streamed, 1000u);
    auto j = json::parse(r.reader.events.back().payload);
    EXPECT_EQ(j["ErrorCode"], "Function.ResponseSizeTooLarge") << r.reader.events.back().payload;
    // The function learnt it (write() returned false) and its sandbox serves the next one.
    auto next = invoke_stream(s.url(), "st", R"({"chunks":1})");
    ASSERT_EQ(next.reader.events.size(), 2u);
    EXPECT_EQ(next.reader.events[0].payload, "chunk 0\n");
}

TEST_F(Streaming, BeyondTheBurstTheStreamIsHeldToTheRate) {
    // 64 KiB at full speed, then 256 KiB/s: 5 x 64 KiB take at least (320 - 64) / 256 = 1 s.
    service_process s("[service]\nstream_burst_bytes = 65536\nstream_rate = 262144\n" +
                      function_block("st", "bootstrap", code, 256, 20));
    auto t0 = steady::now();
    auto r = invoke_stream(s.url(), "st", R"({"chunks":5,"delay_ms":0,"bytes":65536})", "Tail");
    double took = std::chrono::duration<double>(steady::now() - t0).count();
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.reader.events.size(), 6u);
    EXPECT_GE(took, 0.9);
    std::string log = unbase64(json::parse(r.reader.events.back().payload).value("LogResult", ""));
    auto fields = report_fields(log);
    ASSERT_TRUE(fields.count("Lambench Stream Throttled")) << log;
    EXPECT_GE(ms_value(fields["Lambench Stream Throttled"]), 700.0) << log;
    EXPECT_EQ(fields["Lambench Streamed Bytes"], std::to_string(5 * 65536));
}

TEST_F(Streaming, RefusalsBeforeTheStreamAreOrdinaryErrors) {
    service_process s("[service]\n" + function_block("st", "bootstrap", code));
    auto missing =
        http("POST", s.url() + "/2021-11-15/functions/nope/response-streaming-invocations", "{}");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.header("x-amzn-errortype"), "ResourceNotFoundException");
    auto event = http("POST", s.url() + "/2021-11-15/functions/st/response-streaming-invocations",
                      "{}", {"X-Amz-Invocation-Type: Event"});
    EXPECT_EQ(event.status, 400);
    auto bad_json =
        http("POST", s.url() + "/2021-11-15/functions/st/response-streaming-invocations", "{nope");
    EXPECT_EQ(bad_json.status, 400);
    auto wrong_op =
        http("GET", s.url() + "/2021-11-15/functions/st/response-streaming-invocations");
    EXPECT_EQ(wrong_op.status, 404);
    auto dry = http("POST", s.url() + "/2021-11-15/functions/st/response-streaming-invocations",
                    "{}", {"X-Amz-Invocation-Type: DryRun"});
    EXPECT_EQ(dry.status, 204);
}

TEST_F(Streaming, AwsSdkForJavaScriptReadsEveryChunkAndTheCompletion) {
    if (!fs::exists(fs::path(NODE_DIR) / "node_modules/@aws-sdk/client-lambda"))
        GTEST_SKIP() << "run scripts/install-deps (npm install in tests/service/node)";
    service_process s("[service]\n" + function_block("st", "bootstrap", code, 256, 10));
    std::string cmd = "node " + std::string(NODE_DIR) + "/stream_check.mjs " + s.url() + " st";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int status = ::pclose(p);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
    auto j = json::parse(out);
    EXPECT_EQ(j["status"], 200);
    EXPECT_EQ(j["chunks"], json({"chunk 0\n", "chunk 1\n", "chunk 2\n"}));
    EXPECT_TRUE(j["complete"].is_object()) << out;
    EXPECT_FALSE(j["complete"].contains("ErrorCode")) << out;
    EXPECT_NE(j["log"].get<std::string>().find("REPORT RequestId: "), std::string::npos);
    // The first chunk came before the last was written (300 ms apart at the function).
    EXPECT_GE(j["lastMs"].get<double>() - j["firstMs"].get<double>(), 450.0) << out;
    EXPECT_EQ(j["failedChunks"], json({"chunk 0\n"}));
    EXPECT_EQ(j["failed"]["ErrorCode"], "std::runtime_error") << out;
}

TEST_F(Streaming, OfficialNodeRuntimeClientStreamifyResponseStreams) {
    fs::path ric =
        fs::path(PROJECT_DIR) / "functions/node/node_modules/aws-lambda-ric/bin/index.mjs";
    if (!fs::exists(ric) || std::system("command -v node >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "aws-lambda-ric not installed (scripts/install-deps, functions/node)";
    fs::path js = tmp.path() / "js";
    fs::create_directories(js);
    write_file(js / "index.mjs", R"(
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const chunks = awslambda.streamifyResponse(async (event, responseStream) => {
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(300);
    responseStream.write(`chunk ${i}\n`);
  }
  responseStream.end();
});
export const boom = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write("chunk 0\n");
  await sleep(50);
  throw new TypeError("boom mid-stream");
});
)");
    auto block = [&](const std::string& name, const std::string& handler) {
        return "[[function]]\nname = \"" + name + "\"\nruntime = \"nodejs20.x\"\nhandler = \"" +
               handler + "\"\nmemory = 512\ntimeout = 10\ncode = \"" + js.string() + "\"\n";
    };
    service_process s("[service]\nlaunchers = { \"nodejs20.x\" = \"node " + ric.string() +
                      " {handler}\" }\n" + block("node-stream", "index.chunks") +
                      block("node-boom", "index.boom"));
    auto r = invoke_stream(s.url(), "node-stream", "{}");
    ASSERT_EQ(r.status, 200);
    ASSERT_TRUE(r.reader.error.empty()) << r.reader.error;
    std::string all;
    for (std::size_t i = 0; i + 1 < r.reader.events.size(); ++i) all += r.reader.events[i].payload;
    EXPECT_EQ(all, "chunk 0\nchunk 1\nchunk 2\n");
    ASSERT_GE(r.reader.events.size(), 4u);
    EXPECT_EQ(r.reader.events.back().headers.at(":event-type"), "InvokeComplete");
    EXPECT_EQ(r.reader.events.back().payload, "{}");
    // Node's stream writes each piece as it comes: the first well before the last.
    EXPECT_GE(r.reader.events[r.reader.events.size() - 2].at_ms - r.reader.events[0].at_ms, 450.0);

    auto boom = invoke_stream(s.url(), "node-boom", "{}");
    ASSERT_EQ(boom.status, 200);
    ASSERT_GE(boom.reader.events.size(), 2u);
    EXPECT_EQ(boom.reader.events[0].payload, "chunk 0\n");
    auto j = json::parse(boom.reader.events.back().payload);
    EXPECT_EQ(j["ErrorCode"], "TypeError") << boom.reader.events.back().payload;
    EXPECT_NE(j["ErrorDetails"].get<std::string>().find("boom mid-stream"), std::string::npos);
}

TEST_F(Streaming, TheDriverRecordsTimeToFirstAndLastByte) {
    write_file(tmp.path() / "s.toml",
               "name = \"stream\"\nmemory = [256]\ncold = 1\nwarm = 3\n"
               "[[function]]\nname = \"stream\"\nprofiles = [\"static\"]\n"
               "artifact = \"" +
                   code.string() +
                   "\"\nstream = true\ntimeout = 10\n"
                   "payload = '{\"chunks\":3,\"delay_ms\":150}'\n");
    std::string cmd = std::string(LAMBENCH_BIN) + " run " + (tmp.path() / "s.toml").string() +
                      " --out " + (tmp.path() / "out").string() + " --state-dir " +
                      (tmp.path() / "state").string() + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int status = ::pclose(p);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
    EXPECT_NE(out.find("Client first … last byte:"), std::string::npos) << out;
    std::ifstream in(tmp.path() / "out/results.jsonl");
    std::string line;
    int samples = 0;
    while (std::getline(in, line)) {
        auto j = json::parse(line);
        if (!j.contains("first_byte_ms")) continue;
        ++samples;
        EXPECT_TRUE(j["ok"].get<bool>()) << line;
        double first = j["first_byte_ms"], last = j["round_trip_ms"];
        // Two 150 ms delays lie between the first chunk and the last.
        EXPECT_GE(last - first, 280.0) << line;
        EXPECT_GT(first, 0.0);
    }
    EXPECT_EQ(samples, 4);
}

TEST_F(Streaming, ATimeoutMidStreamEndsWithSandboxTimedout) {
    service_process s("[service]\n" + function_block("st", "bootstrap", code, 256, 1));
    auto r = invoke_stream(s.url(), "st", R"({"chunks":3,"delay_ms":3000})", "Tail");
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(r.reader.events.size(), 2u);
    EXPECT_EQ(r.reader.events[0].payload, "chunk 0\n");
    auto j = json::parse(r.reader.events[1].payload);
    EXPECT_EQ(j["ErrorCode"], "Sandbox.Timedout") << r.reader.events[1].payload;
    EXPECT_NE(unbase64(j.value("LogResult", "")).find("Status: timeout"), std::string::npos);
    // A fresh sandbox serves the next invocation.
    auto next = invoke_stream(s.url(), "st", R"({"chunks":1})");
    ASSERT_EQ(next.reader.events.size(), 2u);
    EXPECT_EQ(next.reader.events[0].payload, "chunk 0\n");
}
