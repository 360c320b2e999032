#include "aws/endpoints.hpp"

#include <cstdlib>
#include <string_view>

namespace lambench::aws {
namespace {

std::string env(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v ? v : "";
}

bool ignore_configured() {
    std::string v = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return v == "true";
}

}  // namespace

service_id ec2_service() {
    return {"ec2", "EC2", "ec2"};
}
service_id cloudformation_service() {
    return {"cloudformation", "CLOUDFORMATION", "cloudformation"};
}
service_id rds_service() {
    return {"rds", "RDS", "rds"};
}
service_id secretsmanager_service() {
    return {"secretsmanager", "SECRETS_MANAGER", "secretsmanager"};
}
service_id sts_service() {
    return {"sts", "STS", "sts"};
}
service_id lambda_service() {
    return {"lambda", "LAMBDA", "lambda"};
}

resolved_endpoint resolve_endpoint(const service_id& service, const std::string& region,
                                   const std::string& explicit_url) {
    if (!explicit_url.empty()) return {explicit_url, true};
    if (!ignore_configured()) {
        if (auto v = env("AWS_ENDPOINT_URL_" + service.env_name); !v.empty()) return {v, true};
        if (auto v = env("AWS_ENDPOINT_URL"); !v.empty()) return {v, true};
    }
    return {"https://" + service.host_prefix + "." + region + ".amazonaws.com", false};
}

}  // namespace lambench::aws
