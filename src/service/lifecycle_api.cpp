// The parts of the Lambda API that make the local service behave like Lambda where a deployer
// depends on it: function states (Pending -> Active after a create, LastUpdateStatus
// InProgress -> Successful after an update, with the service's update delay), the conflicts
// they cause, VpcConfig, and tags (TagResource / UntagResource / ListTags on
// /2017-03-31/tags/{ARN}). Shapes follow the service model the AWS SDKs ship (2015-03-31).
#include <chrono>

#include "common/base64.hpp"
#include "errors.hpp"
#include "lambda_api.hpp"
#include "util.hpp"

namespace lambench::service {

using json = nlohmann::json;
namespace bhttp = http::bhttp;

namespace {

constexpr std::string_view tags_prefix = "/2017-03-31/tags/";

// Lambda's words for a change still being applied (the same reason for a create and an update).
constexpr const char* creating_reason = "The function is being created.";

std::vector<std::string> id_list(const json& vpc, const char* key, std::size_t max) {
    std::vector<std::string> out;
    auto it = vpc.find(key);
    if (it == vpc.end() || it->is_null()) return out;
    if (!it->is_array())
        throw invalid_parameter(std::string("VpcConfig.") + key + " must be a list");
    if (it->size() > max)
        throw invalid_parameter(std::string("VpcConfig.") + key + ": at most " +
                                std::to_string(max) + " values");
    for (const auto& v : *it) {
        if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
            v.get_ref<const std::string&>().size() > 1024)
            throw invalid_parameter(std::string("VpcConfig.") + key +
                                    " must hold non-empty strings of at most 1024 characters");
        out.push_back(v.get<std::string>());
    }
    return out;
}

// The VPC a set of subnets belongs to. There is none locally; a stable id derived from the
// subnets stands in (vpc- and 17 hex digits, as AWS writes them), the same for the same subnets.
std::string local_vpc_id(const std::vector<std::string>& subnets) {
    std::string joined;
    for (const auto& s : subnets) joined += s + ",";
    const auto digest = common::base64_decode(sha256_base64(joined)).value_or(std::string(9, '\0'));
    static constexpr char hex[] = "0123456789abcdef";
    std::string id = "vpc-";
    for (std::size_t i = 0; id.size() < 21; ++i) {
        const auto byte = static_cast<unsigned char>(digest[i % digest.size()]);
        id += hex[byte >> 4];
        if (id.size() < 21) id += hex[byte & 15];
    }
    return id;
}

}  // namespace

bool parse_vpc_config(const json& body, function_spec& spec) {
    auto it = body.find("VpcConfig");
    if (it == body.end() || it->is_null()) return false;
    if (!it->is_object()) throw invalid_parameter("VpcConfig must be an object");
    auto subnets = id_list(*it, "SubnetIds", 16);
    auto groups = id_list(*it, "SecurityGroupIds", 5);
    if (subnets.empty() != groups.empty())
        throw invalid_parameter(
            "VpcConfig: SubnetIds and SecurityGroupIds must both be given, or both be empty");
    bool ipv6 = false;
    if (auto v = it->find("Ipv6AllowedForDualStack"); v != it->end() && !v->is_null()) {
        if (!v->is_boolean())
            throw invalid_parameter("VpcConfig.Ipv6AllowedForDualStack must be a boolean");
        ipv6 = v->get<bool>();
    }
    spec.subnet_ids = std::move(subnets);
    spec.security_group_ids = std::move(groups);
    spec.ipv6_allowed_for_dual_stack = ipv6;
    return true;
}

registry::tag_map parse_tags(const json& tags) {
    if (!tags.is_object()) throw invalid_parameter("Tags must be a map of strings");
    if (tags.size() > 50) throw invalid_parameter("Tags: a function has at most 50 tags");
    registry::tag_map out;
    for (const auto& [k, v] : tags.items()) {
        if (k.empty() || k.size() > 128)
            throw invalid_parameter("Tags: a key must have 1 to 128 characters");
        if (k.rfind("aws:", 0) == 0)
            throw invalid_parameter("Tags: the prefix 'aws:' is reserved for AWS (key '" + k +
                                    "')");
        if (!v.is_string() || v.get_ref<const std::string&>().size() > 256)
            throw invalid_parameter("Tags." + k + " must be a string of at most 256 characters");
        out[k] = v.get<std::string>();
    }
    return out;
}

void lambda_api::add_lifecycle_fields(json& out, const function_record& f) const {
    if (!f.spec.subnet_ids.empty())
        out["VpcConfig"] = {{"SubnetIds", f.spec.subnet_ids},
                            {"SecurityGroupIds", f.spec.security_group_ids},
                            {"VpcId", local_vpc_id(f.spec.subnet_ids)},
                            {"Ipv6AllowedForDualStack", f.spec.ipv6_allowed_for_dual_stack}};
    const auto now = std::chrono::steady_clock::now();
    if (f.pending(now)) {
        out["State"] = "Pending";
        out["StateReason"] = creating_reason;
        out["StateReasonCode"] = "Creating";
        return;  // LastUpdateStatus is first set once the create has completed
    }
    out["State"] = "Active";
    if (f.updating(now)) {
        out["LastUpdateStatus"] = "InProgress";
        out["LastUpdateStatusReason"] = creating_reason;
        out["LastUpdateStatusReasonCode"] = "Creating";
    } else {
        out["LastUpdateStatus"] = "Successful";
    }
}

void lambda_api::check_not_pending(const function_record& f) const {
    if (f.pending(std::chrono::steady_clock::now()))
        throw api_error(409, "ResourceConflictException",
                        "The operation cannot be performed at this time. The function is "
                        "currently in the following state: Pending");
}

void lambda_api::check_can_update(const function_record& f) const {
    check_not_pending(f);
    if (f.updating(std::chrono::steady_clock::now()))
        throw api_error(409, "ResourceConflictException",
                        "The operation cannot be performed at this time. An update is in "
                        "progress for resource: " +
                            f.arn);
}

bool lambda_api::handle_tags(std::string_view target, const std::string& query,
                             const http::request& req, const http::responder& reply) {
    if (target.substr(0, tags_prefix.size()) != tags_prefix) return false;
    const std::string arn = url_decode(target.substr(tags_prefix.size()));
    // Tags are on functions, named by their ARN only (not a bare name, a version or an alias).
    if (arn.rfind("arn:", 0) != 0)
        throw invalid_parameter("Resource: '" + arn + "' is not a function ARN");
    const std::string name =
        resolve_function_name(std::string(target.substr(tags_prefix.size())), "", cfg_.region);
    const auto method = req.method();
    if (method == bhttp::verb::get) {
        send_json(reply, 200, json{{"Tags", registry_.tags(name)}});
        return true;
    }
    if (method == bhttp::verb::post) {
        auto body = json::parse(req.body(), nullptr, false);
        if (body.is_discarded() || !body.is_object())
            throw invalid_content("Could not parse request body into json: not a JSON object");
        auto t = body.find("Tags");
        if (t == body.end() || t->is_null()) throw invalid_parameter("Tags is required");
        auto add = parse_tags(*t);
        registry::tag_map merged = registry_.tags(name);
        for (const auto& [k, v] : add) merged[k] = v;
        if (merged.size() > 50) throw invalid_parameter("Tags: a function has at most 50 tags");
        registry_.tag(name, add);
    } else if (method == bhttp::verb::delete_) {
        std::vector<std::string> keys;
        for (std::size_t pos = 0; pos <= query.size();) {
            auto amp = query.find('&', pos);
            std::string kv =
                query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
            if (kv.rfind("tagKeys=", 0) == 0) keys.push_back(url_decode(kv.substr(8)));
            if (amp == std::string::npos) break;
            pos = amp + 1;
        }
        if (keys.empty()) throw invalid_parameter("TagKeys is required (query tagKeys=KEY)");
        registry_.untag(name, keys);
    } else {
        throw api_error(405, "UnknownOperationException", "method not allowed");
    }
    http::response res{bhttp::status::no_content, 11};
    res.set("x-amzn-RequestId", new_request_id());
    reply.send(std::move(res));
    return true;
}

}  // namespace lambench::service
