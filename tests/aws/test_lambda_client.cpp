// lambda_client against a local HTTP server playing the AWS Lambda endpoint: request shape
// (paths, headers, SigV4 signature recomputed from what arrived on the wire, JSON bodies) and
// AWS-shaped answers, including service errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/lambda_client.hpp"
#include "aws/sigv4.hpp"
#include "common/base64.hpp"
#include "common/crc32.hpp"
#include "http_test_server.hpp"
#include "test_util.hpp"

using namespace lambench::aws;
using test::http_request;
using test::http_response;
using test::http_test_server;
using json = nlohmann::json;

namespace {

const credentials test_creds{"AKIDTEST", "test/secret+key", "session-token-1"};

// Recompute the signature from the request as received, using only the headers the client
// claims it signed. Returns "" when it matches, else what differs.
std::string verify_signature(const http_request& req, const credentials& creds,
                             const std::string& region) {
    const std::string auth = req.header("authorization");
    const auto sh = auth.find("SignedHeaders=");
    if (sh == std::string::npos) return "no SignedHeaders in '" + auth + "'";
    const std::string signed_list = auth.substr(sh + 14, auth.find(',', sh) - sh - 14);
    sigv4::request r;
    r.method = req.method;
    r.path = req.path;
    r.query = req.query;
    r.body = req.body;
    std::stringstream names(signed_list);
    for (std::string name; std::getline(names, name, ';');) {
        bool found = false;
        for (const auto& [n, v] : req.headers) {
            std::string l = n;
            for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (l == name) {
                r.headers.push_back({n, v});
                found = true;
            }
        }
        if (!found) return "signed header " + name + " was not sent";
    }
    sigv4::params p;
    p.creds = creds;
    p.region = region;
    p.service = "lambda";
    const auto expected = sigv4::sign(r, p);
    return expected.authorization == auth ? ""
                                          : "want " + expected.authorization + "\n got " + auth;
}

http_response json_response(int status, const json& body) {
    return {
        status, {{"Content-Type", "application/json"}, {"x-amzn-RequestId", "req-1"}}, body.dump()};
}

json config_json(const std::string& name) {
    return {{"FunctionName", name},
            {"FunctionArn", "arn:aws:lambda:us-east-1:000000000000:function:" + name},
            {"State", "Active"},
            {"LastUpdateStatus", "Successful"}};
}

}  // namespace

TEST(lambda_client, create_function_posts_signed_json_with_base64_zip) {
    http_test_server server([](const http_request& r) {
        const json body = json::parse(r.body);
        return json_response(201, config_json(body["FunctionName"]));
    });
    lambda_client client(server.endpoint(), "eu-west-1", test_creds);
    function_config cfg;
    cfg.name = "hello";
    cfg.memory_mb = 512;
    cfg.timeout_s = 7;
    cfg.environment = {{"DATABASE_URL", "postgres://x"}};
    const std::vector<std::uint8_t> zip = {'P', 'K', 3, 4, 0, 255};
    const json answer = json::parse(client.create_function(cfg, zip));
    EXPECT_EQ(answer["FunctionName"], "hello");

    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 1u);
    const auto& r = reqs[0];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/2015-03-31/functions");
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("host"), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(r.header("x-amz-security-token"), "session-token-1");
    EXPECT_EQ(r.header("x-amz-date").size(), 16u);
    EXPECT_TRUE(r.header("authorization").starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"));
    EXPECT_NE(r.header("authorization").find("/eu-west-1/lambda/aws4_request"), std::string::npos);
    EXPECT_EQ(verify_signature(r, test_creds, "eu-west-1"), "");
    const json body = json::parse(r.body);
    EXPECT_EQ(body["FunctionName"], "hello");
    EXPECT_EQ(body["MemorySize"], 512);
    EXPECT_EQ(body["Timeout"], 7);
    EXPECT_EQ(body["Runtime"], "provided.al2023");
    EXPECT_EQ(body["Handler"], "bootstrap");
    EXPECT_EQ(body["Architectures"], json::array({"x86_64"}));
    EXPECT_EQ(body["Environment"]["Variables"]["DATABASE_URL"], "postgres://x");
    auto decoded = lambench::common::base64_decode(body["Code"]["ZipFile"].get<std::string>());
    ASSERT_TRUE(decoded);
    EXPECT_EQ(std::vector<std::uint8_t>(decoded->begin(), decoded->end()), zip);
}

TEST(lambda_client, control_plane_paths_and_methods) {
    http_test_server server([](const http_request& r) {
        if (r.method == "DELETE") return http_response{204, {}, ""};
        return json_response(200, config_json("fn"));
    });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    client.get_function_configuration("fn");
    client.update_function_configuration("fn", R"({"MemorySize":1024})");
    client.update_function_code("fn", {1, 2, 3});
    client.delete_function("fn");
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 4u);
    EXPECT_EQ(reqs[0].method + " " + reqs[0].path, "GET /2015-03-31/functions/fn/configuration");
    EXPECT_EQ(reqs[1].method + " " + reqs[1].path, "PUT /2015-03-31/functions/fn/configuration");
    EXPECT_EQ(reqs[1].body, R"({"MemorySize":1024})");
    EXPECT_EQ(reqs[2].method + " " + reqs[2].path, "PUT /2015-03-31/functions/fn/code");
    EXPECT_EQ(json::parse(reqs[2].body)["ZipFile"], "AQID");
    EXPECT_EQ(reqs[3].method + " " + reqs[3].path, "DELETE /2015-03-31/functions/fn");
    for (const auto& r : reqs)
        EXPECT_EQ(verify_signature(r, test_creds, "us-east-1"), "") << r.path;
}

TEST(lambda_client, invoke_sends_type_and_tail_and_decodes_log_result) {
    const std::string log =
        "START RequestId: 1 Version: $LATEST\nEND RequestId: 1\nREPORT RequestId: 1\tDuration: "
        "1.00 ms\n";
    http_test_server server([&](const http_request& r) {
        return http_response{
            200,
            {{"X-Amz-Executed-Version", "$LATEST"},
             {"x-amzn-RequestId", "6f1b3c1e-0000-4000-8000-000000000001"},
             {"X-Amz-Log-Result", lambench::common::base64_encode(log)}},
            R"({"message":"hello","payload_bytes":)" + std::to_string(r.body.size()) + "}"};
    });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    const auto res = client.invoke("hello", R"({"a":1})");
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.payload, R"({"message":"hello","payload_bytes":7})");
    EXPECT_EQ(res.function_error, "");
    EXPECT_EQ(res.log_tail, log);
    EXPECT_GT(res.round_trip.count(), 0);
    EXPECT_EQ(res.request_id, "6f1b3c1e-0000-4000-8000-000000000001");
    EXPECT_EQ(res.executed_version, "$LATEST");
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].path, "/2015-03-31/functions/hello/invocations");
    EXPECT_EQ(reqs[0].header("x-amz-invocation-type"), "RequestResponse");
    EXPECT_EQ(reqs[0].header("x-amz-log-type"), "Tail");
    EXPECT_EQ(reqs[0].body, R"({"a":1})");
    EXPECT_EQ(verify_signature(reqs[0], test_creds, "us-east-1"), "");
    // The custom headers are part of the signature, so a proxy cannot change them.
    EXPECT_NE(reqs[0].header("authorization").find("x-amz-invocation-type;x-amz-log-type"),
              std::string::npos);
}

TEST(lambda_client, invoke_reports_function_error_with_status_200) {
    http_test_server server([](const http_request&) {
        return http_response{200,
                             {{"X-Amz-Function-Error", "Unhandled"}},
                             R"({"errorType":"NotFound","errorMessage":"no item"})"};
    });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    const auto res = client.invoke("items", R"({"id":"x"})", false);
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.function_error, "Unhandled");
    EXPECT_EQ(json::parse(res.payload)["errorType"], "NotFound");
    EXPECT_EQ(res.log_tail, "");
    EXPECT_EQ(server.requests()[0].header("x-amz-log-type"), "");
}

TEST(lambda_client, invoke_event_and_dry_run_statuses) {
    http_test_server server([](const http_request& r) {
        const auto type = r.header("x-amz-invocation-type");
        return http_response{type == "Event" ? 202 : 204, {}, ""};
    });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    EXPECT_EQ(client.invoke("fn", "{}", true, "Event").status, 202);
    EXPECT_EQ(client.invoke("fn", "{}", true, "DryRun").status, 204);
    for (const auto& r : server.requests())
        EXPECT_EQ(r.header("x-amz-log-type"), "");  // Tail is sync only
    EXPECT_THROW(client.invoke("fn", "{}", true, "Async"), std::invalid_argument);
    EXPECT_THROW(client.invoke("", "{}"), std::invalid_argument);
}

TEST(lambda_client, qualified_names_and_arns_are_percent_encoded_and_signed) {
    http_test_server server([](const http_request&) { return http_response{200, {}, "{}"}; });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    client.invoke("fn:live", "{}");
    client.invoke("arn:aws:lambda:us-east-1:123456789012:function:fn", "{}");
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].path, "/2015-03-31/functions/fn%3Alive/invocations");
    EXPECT_EQ(reqs[1].path,
              "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn/"
              "invocations");
    for (const auto& r : reqs) EXPECT_EQ(verify_signature(r, test_creds, "us-east-1"), "");
}

TEST(lambda_client, not_found_becomes_api_error_with_code_stripped_of_suffix) {
    http_test_server server([](const http_request&) {
        return http_response{
            404,
            {{"X-Amzn-ErrorType",
              "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.lambda/"},
             {"x-amzn-RequestId", "r-404"}},
            R"({"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:0:function:nope"})"};
    });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    try {
        client.invoke("nope", "{}");
        FAIL() << "no api_error";
    } catch (const api_error& e) {
        EXPECT_EQ(e.status, 404);
        EXPECT_EQ(e.type, "ResourceNotFoundException");
        EXPECT_EQ(std::string(e.what()),
                  "ResourceNotFoundException: Function not found: "
                  "arn:aws:lambda:us-east-1:0:function:nope");
    }
    EXPECT_THROW(client.get_function_configuration("nope"), api_error);
    EXPECT_THROW(client.delete_function("nope"), api_error);
}

TEST(lambda_client, error_message_lowercase_type_from_body_and_bare_status) {
    int n = 0;
    http_test_server server([&](const http_request&) {
        switch (n++) {
            case 0:
                return http_response{400,
                                     {{"X-Amzn-ErrorType", "InvalidParameterValueException"}},
                                     R"({"message":"MemorySize must be 128-10240"})"};
            case 1:
                return http_response{
                    409,
                    {},
                    R"({"__type":"com.amazon#ResourceConflictException","Message":"busy"})"};
            default:
                return http_response{429, {{"Retry-After", "1"}}, ""};
        }
    });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    try {
        client.update_function_configuration("fn", "{}");
        FAIL();
    } catch (const api_error& e) {
        EXPECT_EQ(e.status, 400);
        EXPECT_EQ(e.type, "InvalidParameterValueException");
        EXPECT_NE(std::string(e.what()).find("MemorySize must be 128-10240"), std::string::npos);
    }
    try {
        client.invoke("fn", "{}");
        FAIL();
    } catch (const api_error& e) {
        EXPECT_EQ(e.status, 409);
        EXPECT_EQ(e.type, "ResourceConflictException");
        EXPECT_EQ(std::string(e.what()), "ResourceConflictException: busy");
    }
    try {
        client.invoke("fn", "{}");
        FAIL();
    } catch (const api_error& e) {
        EXPECT_EQ(e.status, 429);
        EXPECT_EQ(e.type, "HTTP429");
    }
}

TEST(lambda_client, corrupt_log_result_is_a_clear_error) {
    http_test_server server([](const http_request&) {
        return http_response{200, {{"X-Amz-Log-Result", "not base64!"}}, "{}"};
    });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    try {
        client.invoke("fn", "{}");
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("X-Amz-Log-Result"), std::string::npos) << e.what();
    }
}

TEST(lambda_client, one_connection_is_reused_across_requests) {
    http_test_server server([](const http_request&) { return http_response{200, {}, "{}"}; });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    for (int i = 0; i < 20; ++i) client.invoke("fn", "{}");
    client.get_function_configuration("fn");
    EXPECT_EQ(server.requests().size(), 21u);
    EXPECT_EQ(server.connections(), 1);
}

TEST(lambda_client, list_functions_follows_next_marker) {
    http_test_server server([](const http_request& r) {
        if (r.query.empty())
            return json_response(200, {{"Functions", {config_json("a"), config_json("b")}},
                                       {"NextMarker", "m+1/="}});
        return json_response(200, {{"Functions", {config_json("c")}}, {"NextMarker", nullptr}});
    });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    const json all = json::parse(client.list_functions());
    ASSERT_EQ(all["Functions"].size(), 3u);
    EXPECT_EQ(all["Functions"][2]["FunctionName"], "c");
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].path, "/2015-03-31/functions/");
    EXPECT_EQ(reqs[1].query, "Marker=m%2B1%2F%3D");
    EXPECT_EQ(verify_signature(reqs[1], test_creds, "us-east-1"), "");
}

TEST(lambda_client, wait_until_active_polls_until_active) {
    int n = 0;
    http_test_server server([&](const http_request&) {
        json c = config_json("fn");
        if (n++ < 2) c["State"] = "Pending";
        return json_response(200, c);
    });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    EXPECT_EQ(json::parse(client.wait_until_active("fn"))["State"], "Active");
    EXPECT_EQ(server.requests().size(), 3u);
}

TEST(lambda_client, wait_until_active_reports_failed_state_and_timeout) {
    http_test_server failed([](const http_request&) {
        json c = config_json("fn");
        c["State"] = "Failed";
        c["StateReason"] = "bad zip";
        return json_response(200, c);
    });
    lambda_client a(failed.endpoint(), "us-east-1", test_creds);
    try {
        a.wait_until_active("fn");
        FAIL();
    } catch (const api_error& e) {
        EXPECT_EQ(e.type, "FunctionFailed");
        EXPECT_NE(std::string(e.what()).find("bad zip"), std::string::npos);
    }
    http_test_server pending([](const http_request&) {
        json c = config_json("fn");
        c["State"] = "Pending";
        return json_response(200, c);
    });
    lambda_client b(pending.endpoint(), "us-east-1", test_creds);
    EXPECT_THROW(b.wait_until_active("fn", std::chrono::milliseconds(300)), std::runtime_error);
}

TEST(lambda_client, unsigned_local_use_signs_with_dummy_credentials) {
    http_test_server server([](const http_request&) { return http_response{200, {}, "{}"}; });
    lambda_client client(server.endpoint() + "/", "", std::nullopt);
    client.invoke("fn", "{}");
    const auto r = server.requests().at(0);
    EXPECT_TRUE(r.header("authorization").starts_with("AWS4-HMAC-SHA256 Credential="));
    EXPECT_EQ(r.header("x-amz-security-token"), "");
    EXPECT_EQ(r.path, "/2015-03-31/functions/fn/invocations");
}

TEST(lambda_client, connection_refused_names_the_endpoint) {
    std::string endpoint;
    {
        http_test_server gone([](const http_request&) { return http_response{}; });
        endpoint = gone.endpoint();
    }  // closed: nothing listens on that port any more
    lambda_client client(endpoint, "us-east-1", test_creds);
    try {
        client.invoke("fn", "{}");
        FAIL();
    } catch (const api_error&) {
        FAIL() << "transport error reported as a service error";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(endpoint), std::string::npos) << e.what();
    }
}

TEST(lambda_client, bad_endpoint_and_missing_aws_credentials_are_rejected) {
    EXPECT_THROW(lambda_client("127.0.0.1:9000", "us-east-1", std::nullopt), std::invalid_argument);
    EXPECT_THROW(lambda_client("http://", "us-east-1", std::nullopt), std::invalid_argument);
    try {
        lambda_client aws("", "us-west-2", std::nullopt);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("AWS_ACCESS_KEY_ID"), std::string::npos);
    }
    lambda_client aws("", "us-west-2", test_creds);
    EXPECT_EQ(aws.endpoint(), "https://lambda.us-west-2.amazonaws.com");
    EXPECT_EQ(aws.region(), "us-west-2");
}

TEST(lambda_client, large_payload_goes_through_without_expect_continue) {
    http_test_server server([](const http_request& r) {
        return http_response{200, {}, std::to_string(r.body.size()) + "|" + r.header("expect")};
    });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    const std::string big(5 * 1024 * 1024, 'x');
    EXPECT_EQ(client.invoke("fn", big).payload, std::to_string(big.size()) + "|");
}

TEST(lambda_client, proxy_environment_does_not_capture_the_local_endpoint) {
    http_test_server server([](const http_request&) { return http_response{200, {}, "{}"}; });
    // A proxy that does not exist: going through it would fail to connect.
    test::scoped_env a{"http_proxy", "http://127.0.0.1:1"}, b{"HTTP_PROXY", "http://127.0.0.1:1"},
        c{"no_proxy", "example.com"};
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    EXPECT_EQ(client.invoke("fn", "{}").status, 200);
}

TEST(lambda_client, control_plane_retries_throttling_but_invoke_does_not) {
    int n = 0;
    http_test_server server([&](const http_request&) {
        if (n++ % 2 == 0)
            return http_response{
                429,
                {{"X-Amzn-ErrorType", "TooManyRequestsException"}, {"Retry-After", "0"}},
                R"({"message":"Rate exceeded"})"};
        return json_response(200, config_json("fn"));
    });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    EXPECT_EQ(json::parse(client.get_function_configuration("fn"))["FunctionName"], "fn");
    EXPECT_EQ(server.requests().size(), 2u);
    try {
        client.invoke("fn", "{}");
        FAIL() << "throttled invoke not reported";
    } catch (const api_error& e) {
        EXPECT_EQ(e.status, 429);
        EXPECT_EQ(e.type, "TooManyRequestsException");
    }
    EXPECT_EQ(server.requests().size(), 3u);
}

TEST(lambda_client, persistent_throttling_gives_up_after_four_attempts) {
    http_test_server server([](const http_request&) {
        return http_response{
            429, {{"X-Amzn-ErrorType", "TooManyRequestsException"}, {"Retry-After", "0"}}, "{}"};
    });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    EXPECT_THROW(client.delete_function("fn"), api_error);
    EXPECT_EQ(server.requests().size(), 4u);
}

namespace {

// One event-stream message, framed by hand (the service's encoder is not linked here).
std::string event_message(const std::string& event_type, const std::string& payload) {
    auto u32 = [](std::string& out, std::uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(v >> shift & 0xff);
    };
    std::string headers;
    for (auto [name, value] : {std::pair<std::string, std::string>{":event-type", event_type},
                               {":message-type", "event"}}) {
        headers += static_cast<char>(name.size());
        headers += name;
        headers += '\x07';
        headers += static_cast<char>(value.size() >> 8);
        headers += static_cast<char>(value.size() & 0xff);
        headers += value;
    }
    std::string m;
    u32(m, static_cast<std::uint32_t>(16 + headers.size() + payload.size()));
    u32(m, static_cast<std::uint32_t>(headers.size()));
    u32(m, lambench::common::crc32(m));
    m += headers + payload;
    u32(m, lambench::common::crc32(m));
    return m;
}

}  // namespace

TEST(lambda_client, invoke_stream_joins_chunks_and_reads_the_completion) {
    const std::string log = "REPORT RequestId: 1\tDuration: 1.00 ms\n";
    http_test_server server([&](const http_request&) {
        return http_response{
            200,
            {{"Content-Type", "application/vnd.amazon.eventstream"}},
            event_message("PayloadChunk", "chunk 0\n") +
                event_message("PayloadChunk", "chunk 1\n") +
                event_message("InvokeComplete",
                              R"({"LogResult":")" + lambench::common::base64_encode(log) + "\"}")};
    });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    const auto res = client.invoke_stream("st", "{}");
    EXPECT_EQ(res.payload, "chunk 0\nchunk 1\n");
    EXPECT_EQ(res.function_error, "");
    EXPECT_EQ(res.log_tail, log);
    EXPECT_GT(res.first_byte.count(), 0);
    EXPECT_LE(res.first_byte, res.round_trip);
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].path, "/2021-11-15/functions/st/response-streaming-invocations");
    EXPECT_EQ(reqs[0].header("x-amz-log-type"), "Tail");
    EXPECT_EQ(verify_signature(reqs[0], test_creds, "us-east-1"), "");
}

TEST(lambda_client, invoke_stream_error_completion_and_broken_streams) {
    std::string body;
    http_test_server server([&](const http_request&) { return http_response{200, {}, body}; });
    lambda_client client(server.endpoint(), "us-east-1", test_creds);
    body = event_message("PayloadChunk", "x") +
           event_message("InvokeComplete", R"({"ErrorCode":"Boom","ErrorDetails":"{\"e\":1}"})");
    auto res = client.invoke_stream("st", "{}", false);
    EXPECT_EQ(res.function_error, "Boom");
    EXPECT_EQ(res.payload, R"({"e":1})");

    body = event_message("PayloadChunk", "x");  // no InvokeComplete
    EXPECT_THROW(client.invoke_stream("st", "{}"), std::runtime_error);
    body = event_message("InvokeComplete", "{}");
    body[body.size() - 1] ^= 1;  // message CRC
    EXPECT_THROW(client.invoke_stream("st", "{}"), std::runtime_error);
    body = event_message("InvokeComplete", "{}");
    body[3] = static_cast<char>(body[3] + 1);  // total length, so the prelude CRC fails
    EXPECT_THROW(client.invoke_stream("st", "{}"), std::runtime_error);
    body = event_message("InvokeComplete", "{}").substr(0, 20);  // truncated
    EXPECT_THROW(client.invoke_stream("st", "{}"), std::runtime_error);
}
