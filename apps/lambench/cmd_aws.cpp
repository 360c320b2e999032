// `lambench aws deploy|destroy|status`: the study's setup on a real AWS account (default VPC,
// one CloudFormation stack with RDS PostgreSQL, the suite's functions). The work is in
// src/deploy; this file parses arguments and asks for confirmation on the terminal.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "command.hpp"
#include "deploy/deploy.hpp"
#include "driver/runner.hpp"

namespace {

using namespace lambench;

void add_common(CLI::App& sub, deploy::aws_options& o) {
    sub.add_option("--region", o.region,
                   "AWS region (default $AWS_REGION, $AWS_DEFAULT_REGION, the profile's, "
                   "us-east-1)");
    sub.add_option("--stack", o.stack, "CloudFormation stack name (default lambench)");
    sub.add_option("--endpoint-url", o.endpoint_url,
                   "send every AWS call here (tests); per service: AWS_ENDPOINT_URL_<SERVICE>");
}

bool ask_on_terminal(const std::string& question) {
    if (!::isatty(STDIN_FILENO)) {
        std::fprintf(stderr, "stdin is not a terminal; pass --yes to go ahead\n");
        return false;
    }
    std::fprintf(stderr, "%s", question.c_str());
    std::fflush(stderr);
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    return answer == "y" || answer == "Y" || answer == "yes";
}

int aws_main(int argc, char** argv) {
    CLI::App app{
        "Deploy the study's setup to AWS (default VPC, RDS PostgreSQL, the functions), "
        "show it, remove it",
        "lambench aws"};
    app.require_subcommand(1);

    deploy::deploy_options d;
    std::string suite_path, artifacts;
    auto* dep = app.add_subcommand(
        "deploy", "create or update the stack and the suite's functions; seed the database");
    dep->add_option("suite", suite_path, "suite file (default: suites/seed.toml)");
    add_common(*dep, d);
    dep->add_option("--db-instance-class", d.db_instance_class,
                    "RDS instance class (default db.t4g.micro)");
    dep->add_option("--artifacts", artifacts,
                    "root of the function artifacts (default <build>/functions)");
    dep->add_flag("--yes,-y", d.yes, "do not ask before creating billable resources");
    dep->add_flag("--dry-run", d.dry_run,
                  "print the template parameters and every AWS call, call nothing");

    deploy::destroy_options x;
    auto* des = app.add_subcommand(
        "destroy", "delete the functions tagged lambench:stack=<stack>, then the stack");
    add_common(*des, x);
    des->add_flag("--dry-run", x.dry_run, "print the AWS calls, call nothing");

    deploy::destroy_options cl;
    cl.functions_only = true;
    auto* cln = app.add_subcommand(
        "clean",
        "delete only the functions tagged lambench:stack=<stack>, no CloudFormation (what "
        "`run --target aws --role ARN` made without a stack)");
    add_common(*cln, cl);
    cln->add_flag("--dry-run", cl.dry_run, "print the AWS calls, call nothing");

    deploy::aws_options s;
    auto* st = app.add_subcommand("status", "the stack, its outputs and its functions' state");
    add_common(*st, s);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (dep->parsed()) {
        try {
            d.suite =
                driver::load_suite(suite_path.empty() ? driver::default_suite_path() : suite_path);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "lambench aws deploy: %s\n", e.what());
            return 2;
        }
        d.artifacts_root = artifacts.empty() ? driver::default_artifacts_root() : artifacts;
        d.confirm = ask_on_terminal;
        return deploy::deploy(d, std::cout, std::cerr);
    }
    if (des->parsed()) return deploy::destroy(x, std::cout, std::cerr);
    if (cln->parsed()) return deploy::destroy(cl, std::cout, std::cerr);
    return deploy::status(s, std::cout, std::cerr);
}

const lambench::cli::registrar reg{
    "aws", "deploy the setup to AWS, show it, remove it (deploy|status|destroy|clean)", aws_main};

}  // namespace
