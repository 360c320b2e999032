// `lambench run`: measure a suite (cold starts, warm latency, memory, cost) on a target.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "command.hpp"
#include "cost_flags.hpp"
#include "deploy/deploy.hpp"
#include "driver/aws_target.hpp"
#include "driver/runner.hpp"
#include "posix/state_dir.hpp"

namespace {

namespace fs = std::filesystem;
using namespace lambench::driver;

std::vector<std::string> split_commas(const std::vector<std::string>& items) {
    std::vector<std::string> out;
    for (const auto& item : items) {
        std::size_t pos = 0;
        while (pos <= item.size()) {
            auto comma = item.find(',', pos);
            auto part =
                item.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            if (!part.empty()) out.push_back(part);
            if (comma == std::string::npos) break;
            pos = comma + 1;
        }
    }
    return out;
}

std::string timestamp() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

extern "C" void on_stop_signal(int) {
    request_stop();
}

int run_main(int argc, char** argv) {
    CLI::App app{
        "Measure a suite: cold starts, warm latency, max memory and cost per variant and memory "
        "size",
        "lambench run"};
    std::string suite_path, memory, target, state_dir, database_url, out_dir, resume, artifacts,
        serve_bin;
    std::vector<std::string> functions, ex_json, ex_csv, ex_md, ex_html;
    std::string region, stack, role, endpoint_url;
    std::vector<std::string> subnet_ids, security_group_ids;
    std::optional<int> cold, warm;
    int markdown_memory = 256;
    bool quick = false, no_progress = false;
    app.add_option("suite", suite_path, "suite file (default: suites/seed.toml)");
    app.add_option("--suite", suite_path, "suite file (same as the positional argument)");
    app.add_option("--memory", memory, "memory sizes in MB, e.g. 128,256,512");
    app.add_option("--cold", cold, "cold samples per variant and memory size");
    app.add_option("--warm", warm, "warm samples per variant and memory size");
    app.add_option(
        "--function", functions,
        "only functions (or function/profile) matching GLOB; repeatable, comma-separated");
    app.add_option("--target", target, "local (default) | endpoint=URL | aws");
    app.add_flag("--quick", quick, "CI preset: the first 2 memory sizes, 3 cold, 10 warm samples");
    app.add_option("--state-dir", state_dir,
                   "scratch state (service, database); default $LAMBENCH_STATE_DIR or "
                   "~/.local/state/lambench");
    app.add_option("--database-url", database_url,
                   "PostgreSQL URL for functions that need a database (else the embedded one)");
    app.add_option(
        "--out", out_dir,
        "output directory (default results/<timestamp>/): results.jsonl, report.md, report.html");
    app.add_option(
        "--resume", resume,
        "continue an interrupted run's results.jsonl without repeating finished samples");
    app.add_option("--artifacts", artifacts,
                   "root of the function artifacts (default <build>/functions)");
    app.add_option("--serve-bin", serve_bin,
                   "lambench executable used for the local service (default: this one)");
    app.add_option("--export-json", ex_json, "also write the JSON report to FILE ('-' = stdout)");
    app.add_option("--export-csv", ex_csv, "also write the CSV report to FILE ('-' = stdout)");
    app.add_option("--export-markdown", ex_md,
                   "also write the Markdown report to FILE ('-' = stdout)");
    app.add_option("--export-html", ex_html, "also write the HTML report to FILE ('-' = stdout)");
    app.add_option("--markdown-memory", markdown_memory,
                   "memory size of the libraries table and chart (default 256)");
    std::string headline;
    app.add_option("--headline", headline,
                   "function of the HTML report's headline chart (default: the first database "
                   "function)");
    app.add_flag("--no-progress", no_progress, "no progress bar on stderr");
    lambench::driver::cost_options cost;
    lambench::cli::add_cost_flags(app, cost);
    // The aws target.
    app.add_option("--region", region,
                   "aws: region (default $AWS_REGION, $AWS_DEFAULT_REGION, the profile's, "
                   "us-east-1)");
    app.add_option("--stack", stack,
                   "aws: stack name; functions are <stack>-<function>-<profile> (default "
                   "lambench)");
    app.add_option("--role", role, "aws: execution role ARN of the functions (else the stack's)");
    app.add_option("--endpoint-url", endpoint_url,
                   "aws: Lambda endpoint (default $AWS_ENDPOINT_URL_LAMBDA, $AWS_ENDPOINT_URL, "
                   "else AWS)");
    app.add_option("--subnet-ids", subnet_ids,
                   "aws: VpcConfig subnets, comma-separated (else the stack's)");
    app.add_option("--security-group-ids", security_group_ids,
                   "aws: VpcConfig security groups, comma-separated (else the stack's)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }

    try {
        if (suite_path.empty()) suite_path = default_suite_path();
        run_config cfg;
        cfg.plan = load_suite(suite_path);
        overrides o;
        if (!memory.empty()) o.memory = parse_memory_list(memory);
        o.cold = cold;
        o.warm = warm;
        o.function_globs = split_commas(functions);
        if (!target.empty()) o.target = target;
        o.quick = quick;
        apply(cfg.plan, o);

        if (!resume.empty()) {
            if (!fs::exists(resume))
                throw std::runtime_error("--resume: no such file '" + resume + "'");
            cfg.results_path = resume;
            cfg.resume = true;
            out_dir = fs::path(resume).parent_path().string();
            if (out_dir.empty()) out_dir = ".";
        } else {
            if (out_dir.empty()) out_dir = "results/" + timestamp();
            fs::create_directories(out_dir);
            cfg.results_path = out_dir + "/results.jsonl";
            if (fs::exists(cfg.results_path) && fs::file_size(cfg.results_path) > 0)
                throw std::runtime_error(
                    "'" + cfg.results_path +
                    "' exists: continue it with --resume, or choose another --out");
        }
        cfg.artifacts_root = artifacts.empty() ? default_artifacts_root() : artifacts;
        cfg.database_url = database_url;
        cfg.target.spec = cfg.plan.target;
        const bool aws_flags = !region.empty() || !stack.empty() || !role.empty() ||
                               !endpoint_url.empty() || !subnet_ids.empty() ||
                               !security_group_ids.empty();
        if (aws_flags && cfg.target.spec != "aws")
            throw std::runtime_error(
                "--region, --stack, --role, --endpoint-url, --subnet-ids and "
                "--security-group-ids are for --target aws (the target is '" +
                cfg.target.spec + "')");
        if (cfg.target.spec == "aws") {
            cfg.target.region = region;  // empty: the AWS CLI's chain
            if (!stack.empty()) cfg.target.aws.stack = stack;
            cfg.target.aws.role_arn = role;
            cfg.target.aws.endpoint_url = endpoint_url;
            cfg.target.aws.subnet_ids = split_commas(subnet_ids);
            cfg.target.aws.security_group_ids = split_commas(security_group_ids);
            // The stack of `lambench aws deploy` (CloudFormation DescribeStacks, its secret for
            // the database password) is looked up when the flags do not supply everything: no
            // --role, or functions that need the stack's database.
            bool needs_db = false;
            for (const auto& f : cfg.plan.functions) needs_db = needs_db || f.needs_database;
            if (role.empty() || needs_db)
                cfg.target.aws.stack_lookup = [](const std::string& stack_name,
                                                 const std::string& region_name) {
                    lambench::deploy::aws_options where;
                    where.stack = stack_name;
                    where.region = region_name;
                    try {
                        return lambench::deploy::lookup_stack(where);
                    } catch (const std::exception& e) {
                        throw std::runtime_error(
                            "cannot look up stack '" + stack_name + "' in " + region_name + " (" +
                            e.what() +
                            "); deploy it with `lambench aws deploy`, or pass --role ARN for a "
                            "suite without database functions");
                    }
                };
        }
        cfg.target.serve_bin = serve_bin;
        cfg.target.state_dir =
            state_dir.empty() ? lambench::posix::default_state_dir().string() : state_dir;
        fs::create_directories(cfg.target.state_dir);
        cfg.cost = cost;
        cfg.exports.json = ex_json;
        cfg.exports.csv = ex_csv;
        cfg.exports.markdown = ex_md;
        cfg.exports.html = ex_html;
        cfg.exports.markdown.push_back(out_dir + "/report.md");
        cfg.exports.html.push_back(out_dir + "/report.html");
        cfg.exports.markdown_opts.memory_mb = markdown_memory;
        cfg.exports.html_opts.library_memory_mb = markdown_memory;
        cfg.exports.html_opts.headline_function = headline;
        cfg.progress = !no_progress && ::isatty(STDERR_FILENO);
        // stdout carries an export: the human-readable blocks go to stderr instead.
        cfg.console = cfg.exports.uses_stdout() ? stderr : stdout;

        struct sigaction sa {};
        sa.sa_handler = on_stop_signal;
        // A second Ctrl-C kills at once; the file stays valid. (SA_RESETHAND is 0x80000000u.)
        sa.sa_flags = static_cast<int>(SA_RESETHAND);
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGINT, &sa, nullptr);
        ::sigaction(SIGTERM, &sa, nullptr);

        std::fprintf(stderr, "lambench run: suite %s, %zu function(s), memory",
                     cfg.plan.name.c_str(), cfg.plan.functions.size());
        for (int m : cfg.plan.memory) std::fprintf(stderr, " %d", m);
        std::string where = cfg.plan.target;
        if (cfg.target.spec == "aws") {
            where += " (" + aws_region(cfg.target);
            if (auto e = aws_endpoint_override(cfg.target.aws); !e.empty()) where += ", " + e;
            where += ", stack " + cfg.target.aws.stack + ")";
        }
        std::fprintf(stderr, " MB, %d cold + %d warm samples, target %s, results %s\n",
                     cfg.plan.cold, cfg.plan.warm, where.c_str(), cfg.results_path.c_str());
        return run_suite(cfg);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lambench run: %s\n", e.what());
        return 2;
    }
}

const lambench::cli::registrar reg{
    "run", "measure a suite (cold/warm latency, memory, cost) and write reports", run_main};

}  // namespace
