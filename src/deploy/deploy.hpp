// `lambench aws deploy|destroy|status`: the study's setup on a real AWS account — the default
// VPC, one CloudFormation stack (deploy/aws/template.yaml: security groups, RDS PostgreSQL with
// an RDS-managed password, the functions' role) and the suite's function variants, seeded and
// checked. Every AWS call goes through src/aws, so endpoints can be overridden (tests answer
// them from recorded responses). Progress goes to `err`, results to `out`.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "aws/lambda_client.hpp"
#include "driver/suite.hpp"
#include "driver/target.hpp"

namespace lambench::deploy {

// The template, embedded at build time from deploy/aws/template.yaml.
const std::string& stack_template();

struct aws_options {
    std::string region;        // empty: AWS_REGION, AWS_DEFAULT_REGION, config file, us-east-1
    std::string endpoint_url;  // one endpoint for every service (tests); else per-service env
    std::string stack = "lambench";
    std::optional<aws::credentials> creds;  // nullopt: the credential chain
    std::chrono::milliseconds poll{10000};  // stack and function polling
    std::chrono::seconds stack_timeout{5400};
};

struct deploy_options : aws_options {
    driver::suite suite;
    std::string artifacts_root;
    std::string db_instance_class = "db.t4g.micro";
    bool yes = false, dry_run = false;
    // Asked before the first call that creates anything; false stops. Unset (and no --yes):
    // deploy refuses, since it would create billable resources unasked.
    std::function<bool(const std::string& question)> confirm;
};

struct destroy_options : aws_options {
    bool dry_run = false;
    // `lambench aws clean`: only the functions tagged lambench:stack=<stack>, no CloudFormation
    // call — what `run --target aws --role ARN` made without a stack.
    bool functions_only = false;
};

// The stack's outputs as `run --target aws` needs them (role, network, database; the password
// read from the RDS-managed secret and passed as DATABASE_URL in db_environment, never printed):
// nullopt when the stack does not exist. Throws for AWS errors and a stack not in a usable state.
std::optional<driver::aws_stack_outputs> lookup_stack(const aws_options& o);

// Return the process exit code (0 success, 1 failure). AWS errors propagate as aws::api_error;
// describe_error() words them for the user.
int deploy(const deploy_options& o, std::ostream& out, std::ostream& err);
int destroy(const destroy_options& o, std::ostream& out, std::ostream& err);
int status(const aws_options& o, std::ostream& out, std::ostream& err);

// "<Code>: <Message>" as AWS sent it, then what to do next.
std::string describe_error(const aws::api_error& e);

// <stack>-<function>-<profile>, characters Lambda refuses replaced by '-', at most 64.
std::string function_name(const std::string& stack, const std::string& function,
                          const std::string& profile);

// postgresql://user:password@host:port/db?sslmode=require, user and password percent-encoded.
// sslmode=require: RDS for PostgreSQL 15 and later refuses unencrypted connections
// (rds.force_ssl = 1 by default); the functions carry no CA bundle, so it is not verify-full.
std::string rds_database_url(const std::string& host, const std::string& port,
                             const std::string& db, const std::string& user,
                             const std::string& password);

// The items row with i = 1 exactly as every items function returns it for {"id": …} (the
// data in docs/architecture.md), and that event: deploy's check that seeding worked.
std::string verify_event();
std::string verify_expected();

}  // namespace lambench::deploy
