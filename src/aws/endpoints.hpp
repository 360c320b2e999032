// Which URL a service's requests go to, resolved the way the AWS CLI does: an explicit
// --endpoint-url, else AWS_ENDPOINT_URL_<SERVICE> (the service id upper-cased, spaces as
// underscores: EC2, CLOUDFORMATION, RDS, SECRETS_MANAGER, STS, LAMBDA), else AWS_ENDPOINT_URL,
// else https://<prefix>.<region>.amazonaws.com. AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns
// the two environment variables off, as in the CLI.
#pragma once

#include <string>

namespace lambench::aws {

struct service_id {
    std::string signing_name;  // SigV4 scope: ec2, cloudformation, rds, secretsmanager, sts, lambda
    std::string env_name;      // AWS_ENDPOINT_URL_<env_name>
    std::string host_prefix;   // <host_prefix>.<region>.amazonaws.com
};

service_id ec2_service();
service_id cloudformation_service();
service_id rds_service();
service_id secretsmanager_service();
service_id sts_service();
service_id lambda_service();

// The endpoint for `service`, and whether it is AWS's own (false: an override).
struct resolved_endpoint {
    std::string url;
    bool overridden = false;
};
resolved_endpoint resolve_endpoint(const service_id& service, const std::string& region,
                                   const std::string& explicit_url = {});

}  // namespace lambench::aws
