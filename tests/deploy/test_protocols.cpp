// The query/JSON protocol pieces under deploy: the XML reader, AWS error parsing, form
// encoding, endpoint resolution, and what a query/JSON client puts on the wire.
#include <gtest/gtest.h>

#include "aws/endpoints.hpp"
#include "aws/errors.hpp"
#include "aws/http_test_server.hpp"
#include "aws/query_client.hpp"
#include "aws/test_util.hpp"
#include "aws/xml.hpp"

namespace {

using namespace lambench::aws;

TEST(Xml, ReadsElementsTextAndPaths) {
    const xml_node doc = parse_xml(
        "<?xml version=\"1.0\"?><R xmlns=\"urn:x\"><a:Set xmlns:a=\"urn:a\"><item><id>1</id>"
        "</item><item><id>2 &amp; &lt;3&gt;</id></item></a:Set><Empty/><C><![CDATA[<raw>]]></C>"
        "</R>");
    EXPECT_EQ(doc.name, "R");
    ASSERT_NE(doc.child("Set"), nullptr);  // prefix dropped
    const auto items = doc.child("Set")->all("item");
    ASSERT_EQ(items.size(), 2u);
    EXPECT_EQ(items[1]->text_at("id"), "2 & <3>");
    EXPECT_EQ(doc.text_at("Set/item/id"), "1");
    EXPECT_EQ(doc.text_at("Set/nothing/id"), "");
    EXPECT_EQ(doc.text_at("Empty"), "");
    EXPECT_EQ(doc.text_at("C"), "<raw>");
    ASSERT_NE(doc.find("id"), nullptr);
}

TEST(Xml, RefusesMalformedDeepAndEmptyInput) {
    EXPECT_THROW(parse_xml("<a><b></a>"), xml_parse_error);
    EXPECT_THROW(parse_xml(""), xml_parse_error);
    EXPECT_THROW(parse_xml("not xml"), xml_parse_error);
    EXPECT_THROW(parse_xml("<a>&undefined;</a>"), xml_parse_error);
    std::string deep;
    for (int i = 0; i < 2000; ++i) deep += "<a>";
    try {
        parse_xml(deep);
        FAIL() << "2000 levels accepted";
    } catch (const xml_parse_error& e) {
        EXPECT_NE(std::string(e.what()).find("deeper than 1000"), std::string::npos);
    }
    // An entity expansion bomb is stopped by expat's amplification limit.
    std::string bomb = "<!DOCTYPE l [<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">";
    std::string prev = "a";
    for (int i = 0; i < 8; ++i) {
        const std::string name = "e" + std::to_string(i);
        bomb += "<!ENTITY " + name + " \"";
        for (int k = 0; k < 10; ++k) bomb += "&" + prev + ";";
        bomb += "\">";
        prev = name;
    }
    bomb += "]><l>&" + prev + ";</l>";
    EXPECT_THROW(parse_xml(bomb), xml_parse_error);
}

http_response answer(long status, std::string body, std::map<std::string, std::string> h = {}) {
    http_response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(h);
    return r;
}

TEST(AwsErrors, QueryAndEc2ShapesAndGarbage) {
    auto e = xml_error(answer(400,
                              "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</"
                              "Code><Message>Stack with id x does not exist</Message></Error>"
                              "</ErrorResponse>"));
    EXPECT_EQ(e.type, "ValidationError");
    EXPECT_STREQ(e.what(), "ValidationError: Stack with id x does not exist");
    EXPECT_EQ(e.status, 400);
    e = xml_error(answer(403,
                         "<Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not "
                         "able to validate the provided access credentials</Message></Error>"
                         "</Errors><RequestID>r</RequestID></Response>"));
    EXPECT_EQ(e.type, "AuthFailure");
    e = xml_error(answer(502, "<html>Bad gateway</html>"));
    EXPECT_EQ(e.type, "HTTP502");
    EXPECT_NE(std::string(e.what()).find("Bad gateway"), std::string::npos);
    e = xml_error(answer(500, ""));
    EXPECT_STREQ(e.what(), "HTTP500: HTTP status 500");
}

TEST(AwsErrors, JsonShapes) {
    auto e = json_error(answer(
        400,
        R"({"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException","Message":"no"})"));
    EXPECT_EQ(e.type, "ResourceNotFoundException");
    EXPECT_STREQ(e.what(), "ResourceNotFoundException: no");
    e = json_error(answer(404, R"({"message":"gone"})",
                          {{"x-amzn-errortype", "ResourceNotFoundException:http://internal"}}));
    EXPECT_EQ(e.type, "ResourceNotFoundException");
    e = json_error(answer(400, "[1,2"));
    EXPECT_EQ(e.type, "HTTP400");
}

TEST(QueryProtocol, FormEncodingIsRfc3986InOrder) {
    EXPECT_EQ(form_encode("DescribeStacks", "2010-05-15",
                          {{"StackName", "a b/c"}, {"Tags.member.1.Key", "lambench:stack"}}),
              "Action=DescribeStacks&Version=2010-05-15&StackName=a%20b%2Fc&Tags.member.1.Key="
              "lambench%3Astack");
}

TEST(Endpoints, ResolvedAsTheAwsCliDoes) {
    using test::scoped_env;
    scoped_env a("AWS_ENDPOINT_URL", std::nullopt),
        b("AWS_ENDPOINT_URL_SECRETS_MANAGER", std::nullopt),
        c("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", std::nullopt);
    EXPECT_EQ(resolve_endpoint(secretsmanager_service(), "eu-west-1").url,
              "https://secretsmanager.eu-west-1.amazonaws.com");
    EXPECT_FALSE(resolve_endpoint(secretsmanager_service(), "eu-west-1").overridden);
    {
        scoped_env g("AWS_ENDPOINT_URL", "http://127.0.0.1:1");
        scoped_env s("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:2");
        EXPECT_EQ(resolve_endpoint(secretsmanager_service(), "r").url, "http://127.0.0.1:2");
        EXPECT_EQ(resolve_endpoint(ec2_service(), "r").url, "http://127.0.0.1:1");
        EXPECT_EQ(resolve_endpoint(ec2_service(), "r", "http://x:3").url, "http://x:3");
        scoped_env off("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
        EXPECT_EQ(resolve_endpoint(ec2_service(), "r").url, "https://ec2.r.amazonaws.com");
    }
}

TEST(QueryProtocol, ClientsSignForTheirServiceAndSendTheProtocolsHeaders) {
    test::http_test_server server([](const test::http_request& r) {
        if (r.header("x-amz-target").empty())
            return test::http_response{
                200,
                {},
                "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123</Account></"
                "GetCallerIdentityResult></GetCallerIdentityResponse>"};
        return test::http_response{200, {}, R"({"SecretString":"s"})"};
    });
    const credentials creds{"AKIDEXAMPLE", "secret", "token"};
    query_client sts(sts_service(), "2011-06-15", server.endpoint(), "eu-west-1", creds);
    EXPECT_EQ(sts.call("GetCallerIdentity").text_at("GetCallerIdentityResult/Account"), "123");
    json_client sm(secretsmanager_service(), "secretsmanager", server.endpoint(), "eu-west-1",
                   creds);
    EXPECT_EQ(sm.call("GetSecretValue", {{"SecretId", "x"}}).value("SecretString", ""), "s");

    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(reqs[0].path, "/");
    EXPECT_EQ(reqs[0].body, "Action=GetCallerIdentity&Version=2011-06-15");
    EXPECT_EQ(reqs[0].header("content-type"), "application/x-www-form-urlencoded; charset=utf-8");
    EXPECT_NE(reqs[0].header("authorization").find("/eu-west-1/sts/aws4_request"),
              std::string::npos);
    EXPECT_EQ(reqs[0].header("x-amz-security-token"), "token");
    EXPECT_EQ(reqs[1].header("x-amz-target"), "secretsmanager.GetSecretValue");
    EXPECT_EQ(reqs[1].header("content-type"), "application/x-amz-json-1.1");
    EXPECT_EQ(reqs[1].body, R"({"SecretId":"x"})");
    EXPECT_NE(reqs[1].header("authorization").find("/eu-west-1/secretsmanager/aws4_request"),
              std::string::npos);
}

TEST(QueryProtocol, NonXmlSuccessIsAnErrorNotACrash) {
    test::http_test_server server([](const test::http_request&) {
        return test::http_response{200, {}, "{}"};
    });
    query_client c(ec2_service(), "2016-11-15", server.endpoint(), "us-east-1", {"a", "b", ""});
    EXPECT_THROW(c.call("DescribeVpcs"), xml_parse_error);
}

}  // namespace
