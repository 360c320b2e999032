// The runtime client in a real child process against the test Runtime API server.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "child.hpp"
#include "runtime_api_server.hpp"

using namespace lambench::runtime::testing;
using namespace std::chrono_literals;

namespace {

const std::string test_function = LAMBENCH_TEST_FUNCTION;

long long epoch_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A port nothing listens on: bind, read the port, close.
int closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

}  // namespace

TEST(RuntimeClient, RoundTripPassesEveryHeaderToTheHandler) {
    runtime_api_server server;
    const long long deadline = epoch_ms() + 5000;
    server.push({"info",
                 {{"Lambda-Runtime-Aws-Request-Id", "8476a536-e9f4-11e8-9739-2dfe598c3fcd"},
                  {"Lambda-Runtime-Deadline-Ms", std::to_string(deadline)},
                  {"Lambda-Runtime-Invoked-Function-Arn",
                   "arn:aws:lambda:eu-west-1:123456789012:function:fn:prod"},
                  {"Lambda-Runtime-Trace-Id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1"},
                  {"Lambda-Runtime-Client-Context", R"({"client":{"app_title":"t"}})"},
                  {"Lambda-Runtime-Cognito-Identity", R"({"cognitoIdentityId":"id-1"})"}}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(1, 5s)) << fn.stderr_text();

    auto post = server.posts().at(0);
    EXPECT_EQ(post.method, "POST");
    EXPECT_EQ(post.path,
              "/2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response");
    EXPECT_EQ(post.header("content-type"), "application/json");
    EXPECT_EQ(post.header("host"), server.address());
    auto j = nlohmann::json::parse(post.body);
    EXPECT_EQ(j["request_id"], "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
    EXPECT_EQ(j["invoked_function_arn"], "arn:aws:lambda:eu-west-1:123456789012:function:fn:prod");
    EXPECT_EQ(j["xray_trace_id"], "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1");
    EXPECT_EQ(j["env_trace"], "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1");
    EXPECT_EQ(j["client_context"], R"({"client":{"app_title":"t"}})");
    EXPECT_EQ(j["cognito_identity"], R"({"cognitoIdentityId":"id-1"})");
    EXPECT_EQ(j["deadline_ms"], deadline);
    EXPECT_GT(j["remaining_ms"].get<long long>(), 0);
    EXPECT_LE(j["remaining_ms"].get<long long>(), 5000);
}

TEST(RuntimeClient, TraceIdEnvironmentFollowsEachInvocation) {
    runtime_api_server server;
    server.push({"info", {{"Lambda-Runtime-Trace-Id", "Root=A"}}});
    server.push({"info", {{"Lambda-Runtime-Trace-Id", "Root=B"}}});
    server.push({"info", {{"Lambda-Runtime-Trace-Id", ""}}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()},
                               {"_X_AMZN_TRACE_ID", "stale-from-parent"}});
    ASSERT_TRUE(server.wait_for_posts(3, 5s)) << fn.stderr_text();
    auto posts = server.posts();
    EXPECT_EQ(nlohmann::json::parse(posts[0].body)["env_trace"], "Root=A");
    EXPECT_EQ(nlohmann::json::parse(posts[1].body)["env_trace"], "Root=B");
    EXPECT_EQ(nlohmann::json::parse(posts[2].body)["env_trace"], "<unset>");
}

TEST(RuntimeClient, TraceIdEnvironmentSurvivesLongIdsAndAHandlerThatSetsItItself) {
    runtime_api_server server;
    const std::string long_trace = "Root=1-" + std::string(600, 'a') + ";Sampled=1";
    server.push({"info", {{"Lambda-Runtime-Trace-Id", "Root=short"}}});
    server.push({"info", {{"Lambda-Runtime-Trace-Id", long_trace}}});  // outgrows the buffer
    server.push({"setenv_trace", {{"Lambda-Runtime-Trace-Id", "Root=C"}}});
    server.push({"info", {{"Lambda-Runtime-Trace-Id", "Root=D"}}});
    server.push({"info", {{"Lambda-Runtime-Trace-Id", ""}}});
    server.push({"info", {{"Lambda-Runtime-Trace-Id", "Root=E"}}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(6, 5s)) << fn.stderr_text();
    auto posts = server.posts();
    auto env_trace = [&](std::size_t i) {
        return nlohmann::json::parse(posts.at(i).body)["env_trace"].get<std::string>();
    };
    EXPECT_EQ(env_trace(0), "Root=short");
    EXPECT_EQ(env_trace(1), long_trace);
    EXPECT_EQ(env_trace(3), "Root=D");
    EXPECT_EQ(env_trace(4), "<unset>");
    EXPECT_EQ(env_trace(5), "Root=E");
}

// Lambda sends a fresh trace id with every event. glibc's setenv() keeps every string it ever
// built, so copying each id with it leaked ~100 bytes per invocation.
TEST(RuntimeClient, FreshTraceIdsDoNotGrowTheHeap) {
    runtime_api_server server;
    constexpr int invocations = 3000;
    auto trace = [](int i) {
        return "Root=1-5bef4de7-" + std::to_string(1000000 + i) + ";Sampled=1";
    };
    server.push({"heap", {{"Lambda-Runtime-Trace-Id", trace(0)}}});
    for (int i = 1; i < invocations; ++i)
        server.push({"{}", {{"Lambda-Runtime-Trace-Id", trace(i)}}});
    server.push({"heap", {{"Lambda-Runtime-Trace-Id", trace(invocations)}}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(invocations + 1, 30s)) << fn.stderr_text();
    auto posts = server.posts();
    const long long before = std::stoll(posts.at(0).body);
    const long long after = std::stoll(posts.at(invocations).body);
    EXPECT_LT(after - before, 16 * 1024) << "heap in use grew from " << before << " to " << after
                                         << " bytes over " << invocations << " invocations";
}

TEST(RuntimeClient, ResponseContentTypeComesFromTheResponse) {
    runtime_api_server server;
    server.push({"plain text", {}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(1, 5s)) << fn.stderr_text();
    auto post = server.posts().at(0);
    EXPECT_EQ(post.header("content-type"), "text/plain");
    EXPECT_EQ(post.body, "plain text");
}

TEST(RuntimeClient, HandlerExceptionIsPostedAsErrorAndTheLoopGoesOn) {
    runtime_api_server server;
    server.push({"throw:boom \"quoted\"\n", {{"Lambda-Runtime-Aws-Request-Id", "r1"}}});
    server.push({"after", {{"Lambda-Runtime-Aws-Request-Id", "r2"}}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(2, 5s)) << fn.stderr_text();
    auto posts = server.posts();
    EXPECT_EQ(posts[0].path, "/2018-06-01/runtime/invocation/r1/error");
    EXPECT_EQ(
        posts[0].body,
        R"({"errorMessage":"boom \"quoted\"\n","errorType":"std::runtime_error","stackTrace":[]})");
    EXPECT_EQ(posts[0].header("lambda-runtime-function-error-type"), "std::runtime_error");
    EXPECT_EQ(posts[1].path, "/2018-06-01/runtime/invocation/r2/response");
    EXPECT_EQ(posts[1].body, "after");
}

TEST(RuntimeClient, NonStandardExceptionIsReportedWithItsTypeName) {
    runtime_api_server server;
    server.push({"throw_int", {{"Lambda-Runtime-Aws-Request-Id", "r1"}}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(1, 5s)) << fn.stderr_text();
    auto post = server.posts().at(0);
    EXPECT_EQ(post.path, "/2018-06-01/runtime/invocation/r1/error");
    EXPECT_EQ(post.body,
              R"({"errorMessage":"exception of type int","errorType":"int","stackTrace":[]})");
}

TEST(RuntimeClient, FailureResponseIsPostedAsError) {
    runtime_api_server server;
    server.push({"fail:no such item", {{"Lambda-Runtime-Aws-Request-Id", "r1"}}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(1, 5s)) << fn.stderr_text();
    auto post = server.posts().at(0);
    EXPECT_EQ(post.path, "/2018-06-01/runtime/invocation/r1/error");
    EXPECT_EQ(post.body,
              R"({"errorMessage":"no such item","errorType":"Custom.Error","stackTrace":[]})");
    EXPECT_EQ(post.header("lambda-runtime-function-error-type"), "Custom.Error");
}

TEST(RuntimeClient, InitErrorIsPostedAndTheProcessExitsNonZero) {
    runtime_api_server server;
    child fn({test_function, "init_error"}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    auto code = fn.exit_code(5s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 1);
    // The server records a POST just after answering it: the child may be reaped first.
    ASSERT_TRUE(server.wait_for_posts(1, 5s)) << fn.stderr_text();
    auto posts = server.posts();
    ASSERT_EQ(posts.size(), 1u);
    EXPECT_EQ(posts[0].path, "/2018-06-01/runtime/init/error");
    EXPECT_EQ(
        posts[0].body,
        R"({"errorMessage":"database unreachable","errorType":"Custom.InitError","stackTrace":[]})");
    EXPECT_EQ(posts[0].header("lambda-runtime-function-error-type"), "Custom.InitError");
    EXPECT_EQ(server.next_requests(), 0u);
}

TEST(RuntimeClient, ExceptionBeforeRunIsPostedAsInitError) {
    runtime_api_server server;
    child fn({test_function, "throw_before_run"}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    auto code = fn.exit_code(5s);
    ASSERT_TRUE(code);
    EXPECT_NE(*code, 0);
    // The server records a POST just after answering it: the child may be reaped first.
    ASSERT_TRUE(server.wait_for_posts(1, 5s)) << fn.stderr_text();
    auto posts = server.posts();
    ASSERT_EQ(posts.size(), 1u) << fn.stderr_text();
    EXPECT_EQ(posts[0].path, "/2018-06-01/runtime/init/error");
    EXPECT_EQ(
        posts[0].body,
        R"({"errorMessage":"bad configuration","errorType":"std::logic_error","stackTrace":[]})");
    EXPECT_NE(fn.stderr_text().find("std::logic_error: bad configuration"), std::string::npos);
}

TEST(RuntimeClient, ExceptionInAGlobalConstructorIsPostedAsInitError) {
    runtime_api_server server;
    child fn({test_function},
             {{"AWS_LAMBDA_RUNTIME_API", server.address()}, {"RUNTIME_TEST_THROW_IN_GLOBAL", "1"}});
    auto code = fn.exit_code(5s);
    ASSERT_TRUE(code);
    EXPECT_NE(*code, 0);
    // The server records a POST just after answering it: the child may be reaped first.
    ASSERT_TRUE(server.wait_for_posts(1, 5s)) << fn.stderr_text();
    auto posts = server.posts();
    ASSERT_EQ(posts.size(), 1u) << fn.stderr_text();
    EXPECT_EQ(posts[0].path, "/2018-06-01/runtime/init/error");
    EXPECT_EQ(
        posts[0].body,
        R"({"errorMessage":"global constructor failed","errorType":"std::invalid_argument","stackTrace":[]})");
}

TEST(RuntimeClient, EmptyContentTypeSendsNoContentTypeHeader) {
    runtime_api_server server;
    server.push({"no_content_type", {}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(1, 5s)) << fn.stderr_text();
    auto post = server.posts().at(0);
    EXPECT_EQ(post.headers.count("content-type"), 0u);
    EXPECT_EQ(post.body, "raw");
}

TEST(RuntimeClient, SixMegabytePayloadInAndOut) {
    runtime_api_server server;
    std::string payload(6 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<char>('a' + (i * 7919) % 26);
    server.push({payload, {}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(1, 10s)) << fn.stderr_text();
    auto post = server.posts().at(0);
    EXPECT_EQ(post.answered, 202);
    EXPECT_EQ(post.body.size(), payload.size());
    EXPECT_TRUE(post.body == payload);
}

TEST(RuntimeClient, OversizedResponseBecomesFunctionErrorAndTheLoopGoesOn) {
    runtime_api_server server;
    server.push({"size:7000000", {{"Lambda-Runtime-Aws-Request-Id", "big"}}});
    server.push({"small", {{"Lambda-Runtime-Aws-Request-Id", "next"}}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(3, 10s)) << fn.stderr_text();
    auto posts = server.posts();
    EXPECT_EQ(posts[0].path, "/2018-06-01/runtime/invocation/big/response");
    EXPECT_EQ(posts[0].answered, 413);
    EXPECT_EQ(posts[1].path, "/2018-06-01/runtime/invocation/big/error");
    auto err = nlohmann::json::parse(posts[1].body);
    EXPECT_EQ(err["errorType"], "Function.ResponseSizeTooLarge");
    EXPECT_NE(err["errorMessage"].get<std::string>().find("7000000"), std::string::npos);
    EXPECT_EQ(posts[1].header("lambda-runtime-function-error-type"),
              "Function.ResponseSizeTooLarge");
    EXPECT_EQ(posts[2].path, "/2018-06-01/runtime/invocation/next/response");
    EXPECT_EQ(posts[2].body, "small");
}

TEST(RuntimeClient, OversizedResponseCutOffMidSendIsStillAFunctionError) {
    server_options opts;
    opts.reject_early_over = 8 * 1024 * 1024;  // 413 after the head, close with the body unread
    runtime_api_server server(opts);
    server.push({"size:20000000", {{"Lambda-Runtime-Aws-Request-Id", "huge"}}});
    server.push({"small", {{"Lambda-Runtime-Aws-Request-Id", "after"}}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(3, 15s)) << fn.stderr_text();
    auto posts = server.posts();
    std::size_t i = 0;
    while (i < posts.size() && posts[i].answered == 413) ++i;  // one per attempt
    ASSERT_GE(i, 1u);
    ASSERT_TRUE(server.wait_for_posts(i + 2, 10s)) << fn.stderr_text();
    posts = server.posts();
    EXPECT_EQ(posts[i].path, "/2018-06-01/runtime/invocation/huge/error");
    EXPECT_EQ(nlohmann::json::parse(posts[i].body)["errorType"], "Function.ResponseSizeTooLarge");
    EXPECT_EQ(posts[i + 1].path, "/2018-06-01/runtime/invocation/after/response");
    EXPECT_EQ(posts[i + 1].body, "small");
}

TEST(RuntimeClient, ChunkedNextResponsesOfManySizes) {
    server_options opts;
    opts.chunked_next = true;
    runtime_api_server server(opts);
    const std::vector<std::string> payloads = {"", "x", std::string(1000, 'y'),
                                               std::string(300000, 'z')};
    for (const auto& p : payloads) server.push({p, {}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(payloads.size(), 5s)) << fn.stderr_text();
    auto posts = server.posts();
    for (std::size_t i = 0; i < payloads.size(); ++i)
        EXPECT_EQ(posts[i].body, payloads[i]) << "payload " << i;
}

TEST(RuntimeClient, ReconnectsWhenTheServerClosesEachConnection) {
    server_options opts;
    opts.close_after_response = true;
    runtime_api_server server(opts);
    // std::string(1, c) rather than "n" + to_string(i): g++ 12 warns falsely (-Wrestrict) on
    // operator+(const char*, string&&).
    for (char c = '0'; c < '5'; ++c) server.push({std::string(1, c), {}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(5, 5s)) << fn.stderr_text();
    auto posts = server.posts();
    ASSERT_EQ(posts.size(), 5u);
    for (std::size_t i = 0; i < 5; ++i)
        EXPECT_EQ(posts[i].body, std::string(1, static_cast<char>('0' + i)));
}

TEST(RuntimeClient, PipelinedGetDroppedByTheServerIsSentAgain) {
    server_options opts;
    opts.drop_after_post = true;  // answers the POST, never the GET pipelined behind it
    runtime_api_server server(opts);
    for (char c = '0'; c < '4'; ++c) server.push({std::string(1, c), {}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(4, 5s)) << fn.stderr_text();
    auto posts = server.posts();
    for (std::size_t i = 0; i < 4; ++i)
        EXPECT_EQ(posts[i].body, std::string(1, static_cast<char>('0' + i)));
}

TEST(RuntimeClient, WorksWithPipeliningTurnedOff) {
    runtime_api_server server;
    for (char c = '0'; c < '4'; ++c) server.push({std::string(1, c), {}});
    server.push({"throw:x", {}});
    child fn({test_function},
             {{"AWS_LAMBDA_RUNTIME_API", server.address()}, {"LAMBENCH_RUNTIME_PIPELINE", "0"}});
    ASSERT_TRUE(server.wait_for_posts(5, 5s)) << fn.stderr_text();
    auto posts = server.posts();
    for (std::size_t i = 0; i < 4; ++i)
        EXPECT_EQ(posts[i].body, std::string(1, static_cast<char>('0' + i)));
    EXPECT_TRUE(posts[4].path.ends_with("/error"));
}

TEST(RuntimeClient, RuntimeApiGoingAwayGivesACleanNonZeroExit) {
    runtime_api_server server;
    server.push({"one", {}});
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", server.address()}});
    ASSERT_TRUE(server.wait_for_posts(1, 5s)) << fn.stderr_text();
    // Wait until the runtime is parked on /next, then pull the server out from under it.
    for (int i = 0; i < 500 && server.next_requests() < 2; ++i) std::this_thread::sleep_for(2ms);
    auto start = std::chrono::steady_clock::now();
    server.go_away();
    auto code = fn.exit_code(5s);
    ASSERT_TRUE(code) << "runtime hung after the Runtime API went away";
    EXPECT_EQ(*code, 1);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    EXPECT_NE(fn.stderr_text().find("went away"), std::string::npos) << fn.stderr_text();
}

TEST(RuntimeClient, RefusedConnectionIsRetriedThenExitsNonZero) {
    const std::string api = "127.0.0.1:" + std::to_string(closed_port());
    auto start = std::chrono::steady_clock::now();
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", api}});
    auto code = fn.exit_code(5s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 1);
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, 250ms);  // five backoff sleeps: 10+20+40+80+160 ms
    EXPECT_LT(took, 3s);
    const std::string& err = fn.stderr_text();
    EXPECT_NE(err.find("Connection refused"), std::string::npos) << err;
    EXPECT_NE(err.find("6 attempts"), std::string::npos) << err;
}

TEST(RuntimeClient, GarbageFromTheRuntimeApiGivesACleanNonZeroExit) {
    // A raw listener that answers the first request with something that is not HTTP.
    int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(lfd, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(lfd, 4), 0);
    socklen_t len = sizeof a;
    ::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
    std::thread garbage([lfd] {
        int c = ::accept(lfd, nullptr, nullptr);
        if (c < 0) return;
        char buf[1024];
        (void)::recv(c, buf, sizeof buf, 0);
        const char reply[] = "SSH-2.0-OpenSSH_9.2\r\n\r\n";
        (void)::send(c, reply, sizeof reply - 1, MSG_NOSIGNAL);
        std::this_thread::sleep_for(200ms);
        ::close(c);
    });
    child fn({test_function},
             {{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:" + std::to_string(ntohs(a.sin_port))}});
    auto code = fn.exit_code(5s);
    garbage.join();
    ::close(lfd);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 1);
    EXPECT_NE(fn.stderr_text().find("unusable response"), std::string::npos) << fn.stderr_text();
    EXPECT_NE(fn.stderr_text().find("bad HTTP status line"), std::string::npos);
}

TEST(RuntimeClient, MissingRuntimeApiVariableIsAClearError) {
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", child::unset}});
    auto code = fn.exit_code(5s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 1);
    EXPECT_NE(fn.stderr_text().find("AWS_LAMBDA_RUNTIME_API is not set"), std::string::npos);
}

TEST(RuntimeClient, MalformedRuntimeApiVariableIsAClearError) {
    child fn({test_function}, {{"AWS_LAMBDA_RUNTIME_API", "no-port-here"}});
    auto code = fn.exit_code(5s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 1);
    EXPECT_NE(fn.stderr_text().find("AWS_LAMBDA_RUNTIME_API"), std::string::npos);
}
