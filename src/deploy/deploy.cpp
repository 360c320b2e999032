#include "deploy/deploy.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"
#include "aws/query_client.hpp"
#include "aws/sigv4.hpp"
#include "aws/zip.hpp"
#include "common/base64.hpp"
#include "deploy/prices.hpp"
#include "deploy/stack.hpp"
#include "driver/aws_target.hpp"
#include "driver/plan.hpp"

namespace lambench::deploy {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* stack_tag = "lambench:stack";
constexpr const char* ec2_version = "2016-11-15";
constexpr const char* cloudformation_version = "2010-05-15";
// The seeding function: it holds the schema and the rows (functions/items-libpq).
constexpr const char* seeding_function = "items-libpq";
constexpr const char* setup_event = R"({"action":"setup"})";

std::string region_of(const aws_options& o) {
    return o.region.empty() ? aws::default_region() : o.region;
}

std::string digest(const EVP_MD* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(data.data(), data.size(), out, &n, md, nullptr) != 1)
        throw std::runtime_error("EVP_Digest failed");
    return std::string(reinterpret_cast<const char*>(out), n);
}

// Lambda's CodeSha256: base64 of the zip's SHA-256.
std::string code_sha256(const std::vector<std::uint8_t>& zip) {
    return common::base64_encode(digest(
        EVP_sha256(), std::string_view(reinterpret_cast<const char*>(zip.data()), zip.size())));
}

// The AWS clients of one command, every endpoint resolved as the AWS CLI does.
struct clients {
    std::string region;
    aws::query_client ec2, cloudformation;
    aws::json_client secrets;
    aws::lambda_client lambda;

    static aws::credentials credentials_for(const aws_options& o, const std::string& region) {
        if (o.creds) return *o.creds;
        if (auto c = aws::load_credentials()) return *c;
        bool all_local = true;
        for (const auto& s : {aws::ec2_service(), aws::cloudformation_service(),
                              aws::secretsmanager_service(), aws::lambda_service()})
            all_local = all_local && aws::resolve_endpoint(s, region, o.endpoint_url).overridden;
        if (all_local) return {"AKIDLAMBENCHLOCAL", "lambench-local-secret", ""};
        throw std::runtime_error(
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
            "AWS_SESSION_TOKEN), or configure a profile (aws configure; AWS_PROFILE)");
    }

    clients(const aws_options& o, const std::string& region_in, const aws::credentials& c)
        : region(region_in),
          ec2(aws::ec2_service(), ec2_version,
              aws::resolve_endpoint(aws::ec2_service(), region, o.endpoint_url).url, region, c),
          cloudformation(
              aws::cloudformation_service(), cloudformation_version,
              aws::resolve_endpoint(aws::cloudformation_service(), region, o.endpoint_url).url,
              region, c),
          secrets(aws::secretsmanager_service(), "secretsmanager",
                  aws::resolve_endpoint(aws::secretsmanager_service(), region, o.endpoint_url).url,
                  region, c),
          lambda(aws::resolve_endpoint(aws::lambda_service(), region, o.endpoint_url).url, region,
                 c) {}
};

std::unique_ptr<clients> connect(const aws_options& o) {
    const std::string region = region_of(o);
    return std::make_unique<clients>(o, region, clients::credentials_for(o, region));
}

// Catches what a command throws and words it for the user: AWS errors with their code and
// what to do next, everything else as its message. Returns the exit code.
template <class F>
int guarded(const char* command, std::ostream& err, F f) {
    try {
        return f();
    } catch (const aws::api_error& e) {
        err << "lambench aws " << command << ": " << describe_error(e) << '\n';
    } catch (const std::exception& e) {
        err << "lambench aws " << command << ": " << e.what() << '\n';
    }
    return 1;
}

// ---- the default VPC ------------------------------------------------------------------------

struct network {
    std::string vpc_id;
    std::vector<std::string> subnet_ids;
};

network default_network(aws::query_client& ec2, const std::string& region) {
    network n;
    const aws::xml_node vpcs =
        ec2.call("DescribeVpcs", {{"Filter.1.Name", "isDefault"}, {"Filter.1.Value.1", "true"}});
    if (const aws::xml_node* set = vpcs.child("vpcSet"))
        for (const aws::xml_node* item : set->all("item"))
            if (n.vpc_id.empty()) n.vpc_id = item->text_at("vpcId");
    if (n.vpc_id.empty())
        throw std::runtime_error("the account has no default VPC in " + region +
                                 "; create one with `aws ec2 create-default-vpc --region " +
                                 region + "` (or choose another region with --region)");
    const aws::xml_node subnets =
        ec2.call("DescribeSubnets", {{"Filter.1.Name", "vpc-id"}, {"Filter.1.Value.1", n.vpc_id}});
    std::vector<std::string> all, default_for_az;
    if (const aws::xml_node* set = subnets.child("subnetSet"))
        for (const aws::xml_node* item : set->all("item")) {
            const std::string id = item->text_at("subnetId");
            if (id.empty()) continue;
            all.push_back(id);
            if (item->text_at("defaultForAz") == "true") default_for_az.push_back(id);
        }
    // The subnets the default VPC came with (one per AZ); any the user added are left alone.
    n.subnet_ids = default_for_az.empty() ? all : default_for_az;
    std::sort(n.subnet_ids.begin(), n.subnet_ids.end());
    if (n.subnet_ids.size() < 2)
        throw std::runtime_error("the default VPC " + n.vpc_id + " in " + region + " has " +
                                 std::to_string(n.subnet_ids.size()) +
                                 " subnet(s); RDS needs two availability zones. Recreate the "
                                 "default subnets with `aws ec2 create-default-subnet "
                                 "--availability-zone <zone>`");
    return n;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
    return out;
}

stack_parameters parameters_for(const deploy_options& o, const network& n, bool with_db) {
    return {{"VpcId", n.vpc_id},
            {"SubnetIds", join(n.subnet_ids, ",")},
            {"CreateDatabase", with_db ? "true" : "false"},
            {"DbInstanceClass", o.db_instance_class}};
}

// ---- the functions --------------------------------------------------------------------------

struct variant_to_deploy {
    driver::planned_variant v;
    std::string name;
};

struct selected_variants {
    std::vector<variant_to_deploy> deploy;
    std::vector<std::string> notes;  // skipped (n/a) and missing artifacts
};

selected_variants select_variants(const deploy_options& o, const driver::run_plan& plan) {
    selected_variants out;
    for (const auto& v : plan.variants) {
        const std::string label = v.info.function + "/" + v.info.profile;
        if (v.state.status == driver::artifact_status::skipped)
            out.notes.push_back(label + ": " +
                                (v.state.skip_reason.rfind("n/a", 0) == 0
                                     ? v.state.skip_reason
                                     : "n/a (" + v.state.skip_reason + ")"));
        else if (v.state.status == driver::artifact_status::missing)
            out.notes.push_back(label + ": artifact " + v.artifact +
                                " is missing (build it: make build); not deployed");
        else
            out.deploy.push_back({v, function_name(o.stack, v.info.function, v.info.profile)});
    }
    return out;
}

std::vector<std::uint8_t> read_artifact(const std::string& artifact) {
    if (fs::is_directory(artifact)) return aws::zip_directory(artifact);
    std::ifstream in(artifact, std::ios::binary);
    if (!in) throw std::runtime_error("artifact '" + artifact + "' cannot be read");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct stack_network {
    std::string role_arn, security_group;
    std::vector<std::string> subnets;
    std::string database_url;  // empty without a database
};

aws::function_config config_for(const deploy_options& o, const variant_to_deploy& t,
                                const stack_network& sn) {
    aws::function_config cfg;
    cfg.name = t.name;
    cfg.runtime = t.v.info.runtime;
    cfg.handler = t.v.spec.handler;
    cfg.architecture = t.v.info.architecture;
    cfg.role = sn.role_arn;
    cfg.memory_mb = o.suite.memory.empty() ? 128 : o.suite.memory.front();
    cfg.timeout_s = t.v.spec.timeout_s;
    cfg.environment = t.v.spec.environment;
    if (t.v.spec.needs_database && !sn.database_url.empty())
        cfg.environment["DATABASE_URL"] = sn.database_url;
    cfg.subnet_ids = sn.subnets;
    cfg.security_group_ids = {sn.security_group};
    cfg.tags = {{stack_tag, o.stack}};
    return cfg;
}

std::string configuration_json(const aws::function_config& cfg) {
    json body = {{"Role", cfg.role},
                 {"Handler", cfg.handler},
                 {"Runtime", cfg.runtime},
                 {"MemorySize", cfg.memory_mb},
                 {"Timeout", cfg.timeout_s},
                 {"Environment", {{"Variables", json::object()}}},
                 {"VpcConfig",
                  {{"SubnetIds", cfg.subnet_ids}, {"SecurityGroupIds", cfg.security_group_ids}}}};
    for (const auto& [k, v] : cfg.environment) body["Environment"]["Variables"][k] = v;
    return body.dump();
}

constexpr auto function_wait = std::chrono::minutes(15);  // VPC functions take minutes

// Creates the function, or brings an existing one to this code and configuration.
void put_function(aws::lambda_client& lambda, const aws::function_config& cfg,
                  const std::vector<std::uint8_t>& zip, std::chrono::milliseconds poll,
                  std::ostream& err) {
    std::string current;
    try {
        current = lambda.get_function_configuration(cfg.name);
    } catch (const aws::api_error& e) {
        if (e.type != "ResourceNotFoundException") throw;
    }
    if (current.empty()) {
        // A role CloudFormation just created takes a few seconds to be assumable by Lambda.
        for (int attempt = 1;; ++attempt) {
            try {
                lambda.create_function(cfg, zip);
                break;
            } catch (const aws::api_error& e) {
                const bool role_not_ready =
                    e.type == "InvalidParameterValueException" &&
                    std::string(e.what()).find("cannot be assumed") != std::string::npos;
                if (!role_not_ready || attempt >= 6) throw;
                std::this_thread::sleep_for(poll);
            }
        }
        err << "  created " << cfg.name << '\n';
    } else {
        const json have = json::parse(current, nullptr, false);
        const bool same_code =
            have.is_object() && have.value("CodeSha256", std::string{}) == code_sha256(zip);
        if (!same_code) {
            lambda.update_function_code(cfg.name, zip);
            lambda.wait_until_active(cfg.name, function_wait);
        }
        lambda.update_function_configuration(cfg.name, configuration_json(cfg));
        err << "  updated " << cfg.name << (same_code ? " (configuration)" : " (code)") << '\n';
    }
    lambda.wait_until_active(cfg.name, function_wait);
}

// Functions tagged lambench:stack=<stack>: ListFunctions, then ListTags of each.
std::vector<json> tagged_functions(aws::lambda_client& lambda, const std::string& stack) {
    std::vector<json> out;
    const json all = json::parse(lambda.list_functions());
    for (const auto& f : all.value("Functions", json::array())) {
        const std::string arn = f.value("FunctionArn", std::string{});
        if (arn.empty()) continue;
        const auto tags = lambda.list_tags(arn);
        if (auto it = tags.find(stack_tag); it != tags.end() && it->second == stack)
            out.push_back(f);
    }
    return out;
}

// ---- deploy ---------------------------------------------------------------------------------

std::string money(double usd) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(usd < 1 ? 4 : 2) << '$' << usd;
    return s.str();
}

std::string cost_line(const deploy_options& o, bool with_db, const std::string& region) {
    if (!with_db)
        return "Estimated standing cost: $0 (no database; a role, a security group and idle "
               "functions cost nothing — only invocations are billed)";
    const cost_estimate c = standing_cost(true, o.db_instance_class);
    std::string line;
    if (!c.known)
        line = "Estimated standing cost: unknown for " + o.db_instance_class +
               " (no price recorded); storage and secret alone are " + money(c.per_month) +
               " per month";
    else
        line = "Estimated standing cost: " + money(c.per_hour) + " per hour, " +
               money(c.per_month) + " per month while it is up (" + o.db_instance_class +
               " instance-hours, " + std::to_string(rds_storage_gb) +
               " GB gp3 storage, one secret; idle functions cost nothing)";
    line += "; ";
    line += price_source;
    if (region != "us-east-1") line += "; other regions cost somewhat more";
    return line;
}

std::string destroy_command(const aws_options& o, const std::string& region) {
    return "lambench aws destroy --stack " + o.stack + " --region " + region;
}

// Brings the stack to the template with these parameters; returns its final state. A stack
// whose creation rolled back can only be deleted, so it is deleted first.
stack_info put_stack(const deploy_options& o, cloudformation& cfn, const stack_parameters& params,
                     std::ostream& err, int& exit_code) {
    const wait_options w{o.poll, o.stack_timeout};
    std::set<std::string> seen;
    stack_info info = cfn.describe(o.stack);
    if (info.exists && in_progress(info.status)) {
        err << "Stack " << o.stack << " is " << info.status << "; waiting for it first\n";
        for (const auto& e : cfn.events(o.stack)) seen.insert(e.id);
        info = wait_for_stack(cfn, o.stack, seen, err, w);
    }
    if (info.exists && info.status == "ROLLBACK_COMPLETE") {
        err << "Stack " << o.stack
            << " is ROLLBACK_COMPLETE (an earlier creation failed); deleting it first\n";
        for (const auto& e : cfn.events(o.stack)) seen.insert(e.id);
        cfn.remove(o.stack);
        info = wait_for_stack(cfn, o.stack, seen, err, w);
        if (info.exists) {
            exit_code = 1;
            return info;
        }
    }
    const std::string& body = stack_template();
    if (!info.exists) {
        err << "Creating stack " << o.stack << " (an RDS instance takes 5-10 minutes)\n";
        cfn.create(o.stack, body, params);
    } else {
        for (const auto& e : cfn.events(o.stack)) seen.insert(e.id);
        if (!cfn.update(o.stack, body, params)) {
            err << "Stack " << o.stack << " is up to date (" << info.status << ")\n";
            return info;
        }
        err << "Updating stack " << o.stack << '\n';
    }
    info = wait_for_stack(cfn, o.stack, seen, err, w);
    if (!info.exists || !succeeded(info.status)) {
        exit_code = 1;
        err << "Stack " << o.stack << " ended " << (info.exists ? info.status : "deleted");
        if (!info.status_reason.empty()) err << ": " << info.status_reason;
        err << '\n';
        const auto reasons =
            info.exists ? failure_reasons(cfn.events(o.stack)) : std::vector<stack_event>{};
        if (!reasons.empty()) err << "Why:\n";
        for (const auto& e : reasons)
            err << "  " << e.logical_id << " (" << e.type << ") " << e.status << ": " << e.reason
                << '\n';
        err << "Fix the cause and run `lambench aws deploy` again (it deletes a rolled-back "
               "stack first), or remove everything with `"
            << destroy_command(o, region_of(o)) << "`\n";
    }
    return info;
}

std::string output(const stack_info& info, const std::string& key) {
    auto it = info.outputs.find(key);
    if (it == info.outputs.end() || it->second.empty())
        throw std::runtime_error("stack output " + key +
                                 " is missing; is deploy/aws/template.yaml "
                                 "the one this lambench was built with?");
    return it->second;
}

// GetSecretValue of the RDS-managed secret: {"username": …, "password": …}. Nothing of it is
// printed.
std::string database_password(aws::json_client& secrets, const std::string& secret_arn) {
    const json answer = secrets.call("GetSecretValue", {{"SecretId", secret_arn}});
    const json secret = json::parse(answer.value("SecretString", std::string{}), nullptr, false);
    if (!secret.is_object() || !secret.contains("password") || !secret["password"].is_string())
        throw std::runtime_error("the database secret " + secret_arn +
                                 " has no password field (SecretString is not the JSON RDS "
                                 "writes)");
    return secret["password"].get<std::string>();
}

// Seeds through items-libpq's setup action, then checks one query's exact bytes.
void seed_and_verify(aws::lambda_client& lambda, const std::string& function, std::ostream& err) {
    err << "Seeding the database through " << function << '\n';
    const auto setup = lambda.invoke(function, setup_event, false);
    if (!setup.function_error.empty())
        throw std::runtime_error("seeding failed: " + function + " answered " +
                                 setup.function_error + ": " + setup.payload);
    const json answer = json::parse(setup.payload, nullptr, false);
    if (!answer.is_object() || answer.value("rows", 0) != 10000)
        throw std::runtime_error("seeding: unexpected answer from " + function + ": " +
                                 setup.payload.substr(0, 300));
    const auto check = lambda.invoke(function, verify_event(), false);
    if (!check.function_error.empty() || check.payload != verify_expected())
        throw std::runtime_error("the items query after seeding returned " +
                                 check.payload.substr(0, 300) + " (" + check.function_error +
                                 "); expected " + verify_expected());
    err << "  " << answer.value("rows", 0) << " rows; the items query returns the expected bytes\n";
}

int print_deploy_plan(const deploy_options& o, const driver::run_plan& plan, std::ostream& out);

int run_deploy(const deploy_options& o, std::ostream& out, std::ostream& err) {
    driver::run_plan plan = driver::make_plan(o.suite, o.artifacts_root, driver::probe_artifact);
    // An artifact that cannot run on provided.al2023 is not deployed: the run reports it n/a.
    driver::mark_unrunnable_on_aws(plan);
    if (o.dry_run) return print_deploy_plan(o, plan, out);
    const bool with_db = plan.needs_database;
    const selected_variants sel = select_variants(o, plan);
    auto c = connect(o);

    err << "Looking up the default VPC in " << c->region << '\n';
    const network net = default_network(c->ec2, c->region);
    const stack_parameters params = parameters_for(o, net, with_db);

    std::ostringstream what;
    what << "This creates or updates, in " << c->region << ":\n"
         << "  CloudFormation stack " << o.stack << " in " << net.vpc_id << " ("
         << net.subnet_ids.size() << " subnets): security group(s), execution role"
         << (with_db ? ", an RDS PostgreSQL " + o.db_instance_class + " instance and its secret"
                     : "")
         << "\n  " << sel.deploy.size() << " Lambda function(s) named " << o.stack
         << "-<function>-<profile>\n"
         << cost_line(o, with_db, c->region) << '\n';
    err << what.str();
    if (!o.yes) {
        if (!o.confirm)
            throw std::runtime_error(
                "refusing to create billable resources without confirmation; re-run with --yes");
        if (!o.confirm("Go ahead? [y/N] ")) {
            err << "Nothing was created.\n";
            return 1;
        }
    }

    cloudformation cfn(c->cloudformation);
    int exit_code = 0;
    const stack_info info = put_stack(o, cfn, params, err, exit_code);
    if (exit_code != 0) return exit_code;

    stack_network sn;
    sn.role_arn = output(info, "FunctionRoleArn");
    sn.security_group = output(info, "FunctionSecurityGroupId");
    sn.subnets = net.subnet_ids;
    std::string db_line;
    if (with_db) {
        const std::string host = output(info, "DbEndpointAddress");
        const std::string port = output(info, "DbEndpointPort");
        const std::string db = output(info, "DbName"), user = output(info, "DbUser");
        const std::string secret = output(info, "DbSecretArn");
        sn.database_url =
            rds_database_url(host, port, db, user, database_password(c->secrets, secret));
        db_line = host + ":" + port + "/" + db + " as " + user + " (password in " + secret + ")";
    }

    err << "Deploying " << sel.deploy.size() << " function(s)\n";
    for (const auto& note : sel.notes) err << "  " << note << '\n';
    for (const auto& t : sel.deploy)
        put_function(c->lambda, config_for(o, t, sn), read_artifact(t.v.artifact), o.poll, err);

    if (with_db) {
        const variant_to_deploy* seeder = nullptr;
        for (const char* profile : {"static", "bundled", "shared"})
            for (const auto& t : sel.deploy)
                if (!seeder && t.v.info.function == seeding_function && t.v.info.profile == profile)
                    seeder = &t;
        if (seeder)
            seed_and_verify(c->lambda, seeder->name, err);
        else
            err << "warning: no " << seeding_function
                << " artifact was deployed, so the database is not seeded; add it to the suite "
                   "(or build it) and deploy again\n";
    }

    out << "Deployed stack " << o.stack << " in " << c->region << " (" << info.status << ")\n"
        << "  VPC             " << net.vpc_id << " (default), subnets "
        << join(net.subnet_ids, ", ") << '\n'
        << "  Role            " << sn.role_arn << '\n'
        << "  Security group  " << sn.security_group << '\n';
    if (with_db) out << "  Database        " << db_line << '\n';
    out << "  Functions       " << sel.deploy.size() << '\n';
    for (const auto& t : sel.deploy) out << "    " << t.name << '\n';
    for (const auto& note : sel.notes) out << "    (" << note << ")\n";
    out << cost_line(o, with_db, c->region) << '\n'
        << "Remove it all with: " << destroy_command(o, c->region) << '\n';
    return 0;
}

// ---- dry run --------------------------------------------------------------------------------

std::string show_params(const aws::query_params& p) {
    std::string out;
    for (const auto& [k, v] : p) {
        out += ' ' + k + '=';
        out += k == "TemplateBody"
                   ? "<deploy/aws/template.yaml, " + std::to_string(v.size()) + " bytes>"
                   : v;
    }
    return out;
}

int print_deploy_plan(const deploy_options& o, const driver::run_plan& plan, std::ostream& out) {
    const std::string region = region_of(o);
    const bool with_db = plan.needs_database;
    const selected_variants sel = select_variants(o, plan);
    const network placeholder{"<VpcId>", {"<SubnetId-1>", "<SubnetId-2>"}};
    const stack_parameters params = parameters_for(o, placeholder, with_db);

    out << "Dry run: no AWS call is made. Region " << region << ", stack " << o.stack << ", suite "
        << o.suite.name << ".\n\nTemplate parameters:\n";
    for (const auto& [k, v] : params) {
        std::string shown = v;
        if (k == "VpcId") shown = "<VpcId> (the default VPC, from DescribeVpcs)";
        if (k == "SubnetIds") shown = "<its default subnets, from DescribeSubnets>";
        out << "  " << std::left << std::setw(16) << k << shown << '\n';
    }
    out << "  " << std::setw(16) << "DbName"
        << "lambench (template default)\n"
        << "  " << std::setw(16) << "DbUser"
        << "lambench (template default)\n";

    int n = 0;
    auto call = [&](const std::string& service, const std::string& op, const std::string& rest) {
        out << "  " << std::right << std::setw(2) << ++n << ". " << service << ' ' << op << rest
            << '\n';
    };
    out << "\nAPI calls, in order:\n";
    call("ec2", "DescribeVpcs", " Filter.1.Name=isDefault Filter.1.Value.1=true");
    call("ec2", "DescribeSubnets", " Filter.1.Name=vpc-id Filter.1.Value.1=<VpcId>");
    call("cloudformation", "DescribeStacks", " StackName=" + o.stack);
    call("cloudformation", "CreateStack",
         show_params(stack_request(o.stack, stack_template(), params)) +
             "   (UpdateStack with the same members when the stack exists; DeleteStack first "
             "when it is ROLLBACK_COMPLETE)");
    call("cloudformation", "DescribeStacks + DescribeStackEvents",
         " StackName=" + o.stack + "   (every " + std::to_string(o.poll.count() / 1000) +
             " s until CREATE_COMPLETE or UPDATE_COMPLETE)");
    if (with_db)
        call("secretsmanager", "GetSecretValue",
             " SecretId=<DbSecretArn output>   (the password goes into DATABASE_URL, never to "
             "the terminal)");
    const stack_network sn{"<FunctionRoleArn>", "<FunctionSecurityGroupId>", placeholder.subnet_ids,
                           with_db ? "postgresql://lambench:<password>@<DbEndpointAddress>:<"
                                     "DbEndpointPort>/lambench?sslmode=require"
                                   : ""};
    for (const auto& t : sel.deploy) {
        const auto cfg = config_for(o, t, sn);
        call("lambda", "GetFunctionConfiguration", " FunctionName=" + t.name);
        std::string env;
        for (const auto& [k, v] : cfg.environment) env += (env.empty() ? "" : ",") + k + "=" + v;
        call("lambda", "CreateFunction",
             " FunctionName=" + t.name + " Runtime=" + cfg.runtime + " Architectures=" +
                 cfg.architecture + " MemorySize=" + std::to_string(cfg.memory_mb) +
                 " Timeout=" + std::to_string(cfg.timeout_s) + " Role=" + cfg.role +
                 " VpcConfig.SubnetIds=" + join(cfg.subnet_ids, ",") +
                 " VpcConfig.SecurityGroupIds=" + sn.security_group + " Environment={" + env +
                 "} Tags={" + stack_tag + "=" + o.stack + "} Code.ZipFile=<" + t.v.artifact +
                 ">   (UpdateFunctionCode when CodeSha256 differs + UpdateFunctionConfiguration "
                 "when it exists)");
        call("lambda", "GetFunctionConfiguration",
             " FunctionName=" + t.name + "   (until State=Active, LastUpdateStatus=Successful)");
    }
    for (const auto& note : sel.notes) out << "      (" << note << ")\n";
    if (with_db) {
        std::string seeder;
        for (const char* profile : {"static", "bundled", "shared"})
            for (const auto& t : sel.deploy)
                if (seeder.empty() && t.v.info.function == seeding_function &&
                    t.v.info.profile == profile)
                    seeder = t.name;
        if (seeder.empty()) {
            out << "      (no " << seeding_function << " artifact: the database would not be "
                << "seeded)\n";
        } else {
            call("lambda", "Invoke", " FunctionName=" + seeder + " Payload=" + setup_event);
            call("lambda", "Invoke",
                 " FunctionName=" + seeder + " Payload=" + verify_event() + "   (expects " +
                     verify_expected() + ")");
        }
    }
    out << '\n'
        << cost_line(o, with_db, region) << '\n'
        << "Remove it all with: " << destroy_command(o, region) << '\n';
    return 0;
}

// ---- destroy and status ---------------------------------------------------------------------

int print_destroy_plan(const destroy_options& o, std::ostream& out) {
    const std::string region = region_of(o);
    out << "Dry run: no AWS call is made. Region " << region << ", stack " << o.stack << ".\n\n"
        << "API calls, in order:\n"
        << "   1. lambda ListFunctions   (every page)\n"
        << "   2. lambda ListTags Resource=<FunctionArn>   (each function; those tagged "
        << stack_tag << '=' << o.stack << " are deleted)\n"
        << "   3. lambda DeleteFunction FunctionName=<each tagged function>\n";
    if (o.functions_only) {
        out << "   4. lambda ListFunctions + ListTags   (confirms no tagged function remains)\n";
        return 0;
    }
    out << "   4. cloudformation DescribeStacks StackName=" << o.stack << '\n'
        << "   5. cloudformation DeleteStack StackName=" << o.stack << "   (when it exists)\n"
        << "   6. cloudformation DescribeStacks + DescribeStackEvents StackName=" << o.stack
        << "   (until it is gone)\n"
        << "   7. lambda ListFunctions + ListTags   (confirms no tagged function remains)\n";
    return 0;
}

int run_destroy(const destroy_options& o, std::ostream& out, std::ostream& err) {
    if (o.dry_run) return print_destroy_plan(o, out);
    auto c = connect(o);
    int deleted = 0;
    for (const auto& f : tagged_functions(c->lambda, o.stack)) {
        const std::string name = f.value("FunctionName", std::string{});
        try {
            c->lambda.delete_function(name);
        } catch (const aws::api_error& e) {
            if (e.type != "ResourceNotFoundException") throw;  // gone already: fine
        }
        err << "  deleted function " << name << '\n';
        ++deleted;
    }

    bool stack_deleted = false;
    if (!o.functions_only) {
        cloudformation cfn(c->cloudformation);
        std::set<std::string> seen;
        stack_info info = cfn.describe(o.stack);
        if (info.exists) {
            for (const auto& e : cfn.events(o.stack)) seen.insert(e.id);
            err << "Deleting stack " << o.stack << " (" << info.status << ")\n";
            cfn.remove(o.stack);
            info = wait_for_stack(cfn, o.stack, seen, err, {o.poll, o.stack_timeout});
            if (info.exists) {
                err << "Stack " << o.stack << " is " << info.status << '\n';
                for (const auto& e : failure_reasons(cfn.events(o.stack)))
                    err << "  " << e.logical_id << " (" << e.type << ") " << e.status << ": "
                        << e.reason << '\n';
                err << "Lambda releases a deleted VPC function's network interfaces up to ~20 "
                       "minutes later, and the security group cannot go before them: run `"
                    << destroy_command(o, c->region) << "` again in a few minutes\n";
                return 1;
            }
            stack_deleted = true;
        }
    }

    const auto left = tagged_functions(c->lambda, o.stack);
    if (!left.empty()) {
        err << left.size() << " function(s) tagged " << stack_tag << '=' << o.stack
            << " still exist; run destroy again\n";
        return 1;
    }
    out << "Deleted " << deleted << " function(s)"
        << (o.functions_only ? std::string(" (functions only: no CloudFormation call)")
            : stack_deleted  ? " and stack " + o.stack
                             : ", no stack " + o.stack + " existed")
        << "; nothing tagged " << stack_tag << '=' << o.stack << " remains in " << c->region
        << '\n';
    return 0;
}

int run_status(const aws_options& o, std::ostream& out) {
    auto c = connect(o);
    cloudformation cfn(c->cloudformation);
    const stack_info info = cfn.describe(o.stack);
    if (!info.exists) {
        out << "Stack " << o.stack << " does not exist in " << c->region << '\n';
    } else {
        out << "Stack " << o.stack << " in " << c->region << ": " << info.status;
        if (!info.status_reason.empty()) out << " (" << info.status_reason << ")";
        out << '\n';
        // Outputs are identifiers (ARNs, host names); the password itself is never one.
        for (const auto& [k, v] : info.outputs)
            out << "  " << std::left << std::setw(24) << k << v << '\n';
    }
    const auto functions = tagged_functions(c->lambda, o.stack);
    out << "Functions tagged " << stack_tag << '=' << o.stack << ": " << functions.size() << '\n';
    for (const auto& f : functions) {
        const std::string name = f.value("FunctionName", std::string{});
        const json cfg = json::parse(c->lambda.get_function_configuration(name), nullptr, false);
        const auto field = [&](const char* k) {
            return cfg.is_object() ? cfg.value(k, std::string{"-"}) : std::string{"-"};
        };
        out << "  " << std::left << std::setw(48) << name << ' ' << std::setw(8) << field("State")
            << ' ' << std::setw(11) << field("LastUpdateStatus") << ' '
            << (cfg.is_object() ? cfg.value("MemorySize", 0) : 0) << " MB " << field("Runtime")
            << '\n';
    }
    return 0;
}

}  // namespace

int deploy(const deploy_options& o, std::ostream& out, std::ostream& err) {
    return guarded("deploy", err, [&] { return run_deploy(o, out, err); });
}

int destroy(const destroy_options& o, std::ostream& out, std::ostream& err) {
    return guarded(o.functions_only ? "clean" : "destroy", err,
                   [&] { return run_destroy(o, out, err); });
}

int status(const aws_options& o, std::ostream& out, std::ostream& err) {
    return guarded("status", err, [&] { return run_status(o, out); });
}

std::optional<driver::aws_stack_outputs> lookup_stack(const aws_options& o) {
    auto c = connect(o);
    cloudformation cfn(c->cloudformation);
    const stack_info info = cfn.describe(o.stack);
    if (!info.exists) return std::nullopt;
    if (!succeeded(info.status))
        throw std::runtime_error("stack " + o.stack + " is " + info.status +
                                 "; run `lambench aws deploy` (or `lambench aws status`) first");
    driver::aws_stack_outputs out;
    out.role_arn = output(info, "FunctionRoleArn");
    out.security_group_id = output(info, "FunctionSecurityGroupId");
    out.subnet_ids = default_network(c->ec2, c->region).subnet_ids;
    if (info.outputs.count("DbEndpointAddress")) {
        out.db_host = output(info, "DbEndpointAddress");
        const std::string port = output(info, "DbEndpointPort");
        out.db_port = std::stoi(port);
        out.db_name = output(info, "DbName");
        out.db_user = output(info, "DbUser");
        out.db_environment["DATABASE_URL"] =
            rds_database_url(out.db_host, port, out.db_name, out.db_user,
                             database_password(c->secrets, output(info, "DbSecretArn")));
    }
    return out;
}

std::string describe_error(const aws::api_error& e) {
    const std::string& code = e.type;
    std::string next;
    if (code == "AccessDenied" || code == "AccessDeniedException" ||
        code == "UnauthorizedOperation" || code == "UnauthorizedAccess")
        next =
            "the credentials lack a permission; the README's \"Running on AWS\" lists the IAM "
            "actions lambench needs";
    else if (code == "InvalidClientTokenId" || code == "UnrecognizedClientException" ||
             code == "AuthFailure" || code == "InvalidAccessKeyId")
        next =
            "the access key is not valid in this account/region; check AWS_ACCESS_KEY_ID, "
            "AWS_PROFILE and ~/.aws/credentials";
    else if (code == "SignatureDoesNotMatch" || code == "InvalidSignatureException")
        next = "check the secret access key, and that the system clock is right";
    else if (code == "ExpiredToken" || code == "ExpiredTokenException" || code == "RequestExpired")
        next =
            "the session credentials have expired; refresh them (aws sso login, or new "
            "AWS_SESSION_TOKEN) and run the command again";
    else if (aws::is_throttling(code))
        next = "AWS is throttling this account; wait a minute and run the command again";
    else if (code == "LimitExceededException" || code == "LimitExceeded" ||
             code == "CodeStorageExceededException" || code == "ServiceQuotaExceededException")
        next = "a service quota is used up; free some or ask for more in Service Quotas";
    else if (code == "InsufficientCapabilitiesException")
        next = "the template needs a capability lambench did not grant; report this as a bug";
    else if (code == "RequestEntityTooLargeException")
        next =
            "a function's zip is over Lambda's direct-upload limit (50 MB); build the "
            "static profile, or leave that variant out with the suite";
    else
        next =
            "fix what the message says and run the command again; `lambench aws status` "
            "shows what exists";
    std::string out = code + ": ";
    std::string msg = e.what();
    if (msg.starts_with(code + ": ")) msg.erase(0, code.size() + 2);
    out += msg;
    if (e.status > 0) out += " (HTTP " + std::to_string(e.status) + ")";
    out += "\n  what to do: " + next;
    return out;
}

std::string function_name(const std::string& stack, const std::string& function,
                          const std::string& profile) {
    std::string name = stack + "-" + function + "-" + profile;
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '-';
    if (name.size() > 64) name.resize(64);
    return name;
}

std::string rds_database_url(const std::string& host, const std::string& port,
                             const std::string& db, const std::string& user,
                             const std::string& password) {
    return "postgresql://" + aws::sigv4::uri_encode(user, false) + ":" +
           aws::sigv4::uri_encode(password, false) + "@" + host + ":" + port + "/" +
           aws::sigv4::uri_encode(db, false) + "?sslmode=require";
}

std::string verify_event() {
    return R"({"id":")" + [] {
        // id of row i = md5('item-' || i)::uuid, here i = 1.
        const std::string hex = aws::sigv4::hex(digest(EVP_md5(), "item-1"));
        return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
               hex.substr(16, 4) + "-" + hex.substr(20);
    }() + R"("})";
}

std::string verify_expected() {
    // name 'item 1', price (1 * 37 % 100000) / 100.0, created_at 2026-01-01 + 1 × 61.5 s.
    const std::string event = verify_event();
    const std::string id = event.substr(7, 36);
    return R"({"id":")" + id +
           R"(","name":"item 1","price":"0.37","created_at":"2026-01-01T00:01:01.500000Z"})";
}

}  // namespace lambench::deploy
