// The AWS cloud for the deploy tests — the one thing we mock. One local HTTP server answers
// EC2, CloudFormation, Secrets Manager and Lambda with responses shaped from botocore's service
// models (service-2.json: the result wrappers, member names, error shapes), keeps a small state
// (the default VPC, one stack moving through scripted statuses, the functions and their tags)
// and records every request as a JSON line for tests/aws/botocore/validate_requests.py:
//   {"service", "method", "target", "headers": {lower-case: value}, "body"}.
// The service is read from the SigV4 credential scope, as AWS routes by host.
#pragma once

#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aws/http_test_server.hpp"
#include "aws/sigv4.hpp"

namespace lambench::deploy::test {

using aws::test::http_request;
using aws::test::http_response;
using json = nlohmann::json;

// One request as the fake understood it.
struct call {
    std::string service, operation;
    std::map<std::string, std::string> params;  // query protocol members
    json body;                                  // json / rest-json bodies
    std::string target;                         // raw path?query
};

struct injected_error {
    int status;
    std::string body;
};

inline std::string xml_ok(const std::string& op, const std::string& result,
                          const std::string& ns =
                              "http://cloudformation.amazonaws.com/doc/"
                              "2010-05-15/") {
    return "<" + op + "Response xmlns=\"" + ns + "\"><" + op + "Result>" + result + "</" + op +
           "Result><ResponseMetadata><RequestId>1b5c1e4f-0000-4000-8000-000000000001</"
           "RequestId></ResponseMetadata></" +
           op + "Response>";
}

inline injected_error query_error(int status, const std::string& code, const std::string& message) {
    return {status,
            "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><Error>"
            "<Type>Sender</Type><Code>" +
                code + "</Code><Message>" + message +
                "</Message></Error><RequestId>4d1e0000-0000-4000-8000-000000000002</RequestId>"
                "</ErrorResponse>"};
}

inline injected_error ec2_error(int status, const std::string& code, const std::string& message) {
    return {status, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" +
                        code + "</Code><Message>" + message +
                        "</Message></Error></Errors><RequestID>ea966190-0000-4000-8000-"
                        "000000000003</RequestID></Response>"};
}

inline injected_error json_error(int status, const std::string& type, const std::string& message) {
    return {status, json{{"__type", type}, {"message", message}}.dump()};
}

struct stack_step {
    std::string status;
    // An event recorded when the stack reaches this step: logical id, type, status, reason.
    std::string logical_id, type, event_status, reason;
};

class fake_aws {
  public:
    // record: the JSONL file every request is appended to (truncated first).
    explicit fake_aws(const std::string& record_path)
        : record_(record_path, std::ios::trunc),
          server_([this](const http_request& r) { return handle(r); }) {}

    std::string endpoint() const { return server_.endpoint(); }

    // ---- the scripted world (set before the command runs) ----
    bool default_vpc = true;
    std::string stack_name = "lambench";
    std::optional<std::string> stack_status;  // nullopt: no stack
    std::map<std::string, std::string> outputs;
    // What DescribeStacks walks through after Create/Update/DeleteStack, one step per call;
    // the last step stays. A delete that ends with "DELETE_COMPLETE" removes the stack.
    std::vector<stack_step> after_create, after_update, after_delete;
    bool no_updates = false;  // UpdateStack answers "No updates are to be performed."
    std::map<std::string, injected_error> errors;  // operation -> answer (every time)
    std::string secret_string =
        R"({"username":"lambench","password":"p@ss/w:rd%20&x"})";  // reserved characters
    // Functions: name -> configuration (FunctionName, FunctionArn, State, LastUpdateStatus,
    // CodeSha256, …) and tags.
    std::map<std::string, json> functions;
    std::map<std::string, std::map<std::string, std::string>> tags;
    int pending_polls = 1;  // GetFunctionConfiguration answers Pending/InProgress this often
    std::string setup_answer = R"({"rows":10000,"seeded":true})";
    std::string verify_answer;  // what {"id": …} returns (set by the test)

    std::vector<call> calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }
    std::vector<std::string> operations() const {
        std::vector<std::string> out;
        for (const auto& c : calls()) out.push_back(c.service + " " + c.operation);
        return out;
    }
    int count(const std::string& op) const {
        int n = 0;
        for (const auto& c : calls()) n += c.operation == op;
        return n;
    }
    const std::map<std::string, std::string> params_of(const std::string& op) const {
        for (const auto& c : calls())
            if (c.operation == op) return c.params;
        return {};
    }
    json body_of(const std::string& op) const {
        for (const auto& c : calls())
            if (c.operation == op) return c.body;
        return nullptr;
    }

    void add_function(const std::string& name, const std::string& stack_tag_value,
                      const std::string& code_sha = "AAAA") {
        functions[name] = {{"FunctionName", name},        {"FunctionArn", arn(name)},
                           {"State", "Active"},           {"LastUpdateStatus", "Successful"},
                           {"CodeSha256", code_sha},      {"MemorySize", 128},
                           {"Runtime", "provided.al2023"}};
        if (!stack_tag_value.empty()) tags[arn(name)] = {{"lambench:stack", stack_tag_value}};
    }

    static std::string arn(const std::string& name) {
        return "arn:aws:lambda:us-east-1:123456789012:function:" + name;
    }

  private:
    static std::string service_of(const http_request& r) {
        // Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/<service>/aws4_request
        const std::string auth = r.header("authorization");
        const auto end = auth.find("/aws4_request");
        if (end == std::string::npos) return "unsigned";
        const auto start = auth.rfind('/', end - 1);
        return auth.substr(start + 1, end - start - 1);
    }

    static std::map<std::string, std::string> form(const std::string& body) {
        std::map<std::string, std::string> out;
        std::size_t pos = 0;
        while (pos <= body.size()) {
            const auto amp = body.find('&', pos);
            const std::string kv = body.substr(pos, amp == std::string::npos ? amp : amp - pos);
            const auto eq = kv.find('=');
            if (eq != std::string::npos)
                out[aws::sigv4::uri_decode(kv.substr(0, eq))] =
                    aws::sigv4::uri_decode(kv.substr(eq + 1));
            if (amp == std::string::npos) break;
            pos = amp + 1;
        }
        return out;
    }

    void record(const http_request& r, const std::string& service) {
        json headers = json::object();
        for (const auto& [n, v] : r.headers) {
            std::string l = n;
            for (char& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            headers[l] = v;
        }
        record_ << json{{"service", service},
                        {"method", r.method},
                        {"target", r.target},
                        {"headers", headers},
                        {"body", r.body}}
                       .dump()
                << '\n';
        record_.flush();
    }

    http_response handle(const http_request& r) {
        std::lock_guard lock(mutex_);
        call c;
        c.service = service_of(r);
        c.target = r.target;
        if (c.service == "ec2" || c.service == "cloudformation" || c.service == "rds" ||
            c.service == "sts") {
            c.params = form(r.body);
            c.operation = c.params["Action"];
        } else if (c.service == "secretsmanager") {
            const std::string t = r.header("x-amz-target");
            c.operation = t.substr(t.find('.') + 1);
            c.body = json::parse(r.body, nullptr, false);
        } else if (c.service == "lambda") {
            c.operation = lambda_operation(r);
            c.body = json::parse(r.body.empty() ? "null" : r.body, nullptr, false);
        }
        record(r, c.service);
        calls_.push_back(c);
        if (auto it = errors.find(c.operation); it != errors.end())
            return {it->second.status, {{"Content-Type", "text/xml"}}, it->second.body};
        if (c.service == "ec2") return ec2(c);
        if (c.service == "cloudformation") return cloudformation(c);
        if (c.service == "secretsmanager") return secrets(c);
        if (c.service == "lambda") return lambda(c, r);
        return {400, {}, "unknown service " + c.service};
    }

    static std::string lambda_operation(const http_request& r) {
        const std::string& p = r.path;
        if (p.starts_with("/2017-03-31/tags/")) return "ListTags";
        if (p == "/2015-03-31/functions" && r.method == "POST") return "CreateFunction";
        if (p == "/2015-03-31/functions/" && r.method == "GET") return "ListFunctions";
        if (p.ends_with("/configuration"))
            return r.method == "GET" ? "GetFunctionConfiguration" : "UpdateFunctionConfiguration";
        if (p.ends_with("/code")) return "UpdateFunctionCode";
        if (p.ends_with("/invocations")) return "Invoke";
        if (r.method == "DELETE") return "DeleteFunction";
        return "Unknown";
    }

    // ---- EC2 ----
    http_response ec2(const call& c) {
        const std::string ns = "http://ec2.amazonaws.com/doc/2016-11-15/";
        const std::string head = "<requestId>59dbff89-0000-4000-8000-000000000004</requestId>";
        if (c.operation == "DescribeVpcs") {
            const std::string items =
                default_vpc ? "<item><vpcId>vpc-0d1f2e3c</vpcId><state>available</state>"
                              "<cidrBlock>172.31.0.0/16</cidrBlock><isDefault>true</isDefault>"
                              "</item>"
                            : "";
            return xml("<DescribeVpcsResponse xmlns=\"" + ns + "\">" + head + "<vpcSet>" + items +
                       "</vpcSet></DescribeVpcsResponse>");
        }
        if (c.operation == "DescribeSubnets") {
            std::string items;
            for (const auto& [id, az] :
                 {std::pair{"subnet-0b", "us-east-1b"}, std::pair{"subnet-0a", "us-east-1a"}})
                items += std::string("<item><subnetId>") + id +
                         "</subnetId><vpcId>vpc-0d1f2e3c</vpcId><availabilityZone>" + az +
                         "</availabilityZone><defaultForAz>true</defaultForAz></item>";
            items +=
                "<item><subnetId>subnet-0user</subnetId><vpcId>vpc-0d1f2e3c</vpcId>"
                "<availabilityZone>us-east-1c</availabilityZone><defaultForAz>false"
                "</defaultForAz></item>";
            return xml("<DescribeSubnetsResponse xmlns=\"" + ns + "\">" + head + "<subnetSet>" +
                       items + "</subnetSet></DescribeSubnetsResponse>");
        }
        return {400, {}, ec2_error(400, "InvalidAction", "unknown").body};
    }

    // ---- CloudFormation ----
    void start(const std::vector<stack_step>& steps) {
        script_.assign(steps.begin(), steps.end());
        advance();
    }
    void advance() {
        if (script_.empty()) return;
        const stack_step s = script_.front();
        script_.pop_front();  // the last step's status stays
        stack_status = s.status;
        if (!s.event_status.empty())
            events_.push_back({"ev-" + std::to_string(events_.size() + 1), s.logical_id, s.type,
                               s.event_status, s.reason});
        if (s.status == "DELETE_COMPLETE") {
            stack_status.reset();
            script_.clear();
        }
    }
    http_response stack_missing() {
        const auto e =
            query_error(400, "ValidationError", "Stack with id " + stack_name + " does not exist");
        return {e.status, {{"Content-Type", "text/xml"}}, e.body};
    }
    http_response cloudformation(const call& c) {
        const std::string id =
            "arn:aws:cloudformation:us-east-1:123456789012:stack/" + stack_name + "/5a1b";
        if (c.operation == "DescribeStacks") {
            if (!stack_status) return stack_missing();
            std::string outs;
            for (const auto& [k, v] : outputs)
                outs += "<member><OutputKey>" + k + "</OutputKey><OutputValue>" + v +
                        "</OutputValue></member>";
            const std::string result =
                "<Stacks><member><StackId>" + id + "</StackId><StackName>" + stack_name +
                "</StackName><CreationTime>2026-11-30T03:00:00.000Z</CreationTime><StackStatus>" +
                *stack_status + "</StackStatus><Outputs>" + outs + "</Outputs></member></Stacks>";
            advance();  // the next call sees the next step
            return xml(xml_ok("DescribeStacks", result));
        }
        if (c.operation == "DescribeStackEvents") {
            if (!stack_status) return stack_missing();
            std::string members;
            for (auto it = events_.rbegin(); it != events_.rend(); ++it)
                members += "<member><StackId>" + id + "</StackId><EventId>" + (*it)[0] +
                           "</EventId><StackName>" + stack_name +
                           "</StackName>"
                           "<LogicalResourceId>" +
                           (*it)[1] +
                           "</LogicalResourceId>"
                           "<ResourceType>" +
                           (*it)[2] +
                           "</ResourceType><Timestamp>"
                           "2026-11-30T03:00:0" +
                           std::to_string(events_.size() % 10) +
                           ".000Z</Timestamp><ResourceStatus>" + (*it)[3] + "</ResourceStatus>" +
                           ((*it)[4].empty()
                                ? std::string{}
                                : "<ResourceStatusReason>" + (*it)[4] + "</ResourceStatusReason>") +
                           "</member>";
            return xml(xml_ok("DescribeStackEvents", "<StackEvents>" + members + "</StackEvents>"));
        }
        if (c.operation == "CreateStack") {
            if (stack_status) {
                const auto e = query_error(400, "AlreadyExistsException",
                                           "Stack [" + stack_name + "] already exists");
                return {e.status, {}, e.body};
            }
            start(after_create);
            return xml(xml_ok("CreateStack", "<StackId>" + id + "</StackId>"));
        }
        if (c.operation == "UpdateStack") {
            if (!stack_status) return stack_missing();
            if (no_updates) {
                const auto e =
                    query_error(400, "ValidationError", "No updates are to be performed.");
                return {e.status, {}, e.body};
            }
            start(after_update);
            return xml(xml_ok("UpdateStack", "<StackId>" + id + "</StackId>"));
        }
        if (c.operation == "DeleteStack") {
            if (stack_status) start(after_delete);
            return xml(
                "<DeleteStackResponse xmlns=\"http://cloudformation.amazonaws.com/doc/"
                "2010-05-15/\"><ResponseMetadata><RequestId>x</RequestId>"
                "</ResponseMetadata></DeleteStackResponse>");
        }
        return stack_missing();
    }

    // ---- Secrets Manager ----
    http_response secrets(const call& c) {
        if (c.operation != "GetSecretValue") return {400, {}, "{}"};
        return {200,
                {{"Content-Type", "application/x-amz-json-1.1"}},
                json{{"ARN", c.body.value("SecretId", "")},
                     {"Name", "rds!db-1234"},
                     {"VersionId", "v1"},
                     {"SecretString", secret_string},
                     {"CreatedDate", 1764471600.0}}
                    .dump()};
    }

    // ---- Lambda ----
    static std::string name_from_path(const std::string& path) {
        const std::string prefix = "/2015-03-31/functions/";
        std::string rest = path.substr(prefix.size());
        rest = rest.substr(0, rest.find('/'));
        return aws::sigv4::uri_decode(rest);
    }
    http_response lambda_json(int status, const json& j) {
        return {status, {{"Content-Type", "application/json"}}, j.dump()};
    }
    http_response not_found(const std::string& name) {
        return {404,
                {{"X-Amzn-ErrorType", "ResourceNotFoundException"}},
                json{{"Type", "User"}, {"message", "Function not found: " + arn(name)}}.dump()};
    }
    http_response lambda(const call& c, const http_request& r) {
        if (c.operation == "ListFunctions") {
            json list = json::array();
            for (const auto& [n, f] : functions) list.push_back(f);
            return lambda_json(200, {{"Functions", list}});
        }
        if (c.operation == "ListTags") {
            const std::string a = aws::sigv4::uri_decode(r.path.substr(17));
            return lambda_json(200, {{"Tags", tags.count(a) ? json(tags[a]) : json::object()}});
        }
        if (c.operation == "CreateFunction") {
            const std::string name = c.body.value("FunctionName", "");
            json f = c.body;
            f.erase("Code");
            f.erase("Tags");
            f["FunctionArn"] = arn(name);
            f["State"] = "Pending";
            f["CodeSha256"] = "created";
            functions[name] = f;
            if (c.body.contains("Tags"))
                tags[arn(name)] = c.body["Tags"].get<std::map<std::string, std::string>>();
            polls_[name] = pending_polls;
            return lambda_json(201, f);
        }
        const std::string name = name_from_path(r.path);
        if (!functions.count(name)) return not_found(name);
        json& f = functions[name];
        if (c.operation == "GetFunctionConfiguration") {
            json answer = f;
            if (polls_[name] > 0) {
                --polls_[name];
            } else {
                f["State"] = "Active";
                f["LastUpdateStatus"] = "Successful";
                answer = f;
            }
            return lambda_json(200, answer);
        }
        if (c.operation == "UpdateFunctionConfiguration" || c.operation == "UpdateFunctionCode") {
            f["LastUpdateStatus"] = "InProgress";
            if (c.operation == "UpdateFunctionCode") f["CodeSha256"] = "updated";
            polls_[name] = pending_polls;
            return lambda_json(200, f);
        }
        if (c.operation == "DeleteFunction") {
            tags.erase(arn(name));
            functions.erase(name);
            return {204, {}, ""};
        }
        if (c.operation == "Invoke") {
            const std::string payload = r.body;
            std::string answer =
                payload.find("setup") != std::string::npos ? setup_answer : verify_answer;
            return {200,
                    {{"Content-Type", "application/json"}, {"X-Amz-Executed-Version", "$LATEST"}},
                    answer};
        }
        return {400, {}, "{}"};
    }

    static http_response xml(std::string body) {
        return {200, {{"Content-Type", "text/xml"}}, std::move(body)};
    }

    mutable std::mutex mutex_;
    std::ofstream record_;
    std::vector<call> calls_;
    std::deque<stack_step> script_;
    std::vector<std::array<std::string, 5>> events_;
    std::map<std::string, int> polls_;
    aws::test::http_test_server server_;  // last: stops before the state goes
};

}  // namespace lambench::deploy::test
