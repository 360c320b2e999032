// `lambench invoke NAME`: invoke a function (local service or AWS); the response payload goes to
// stdout, the REPORT line of the log tail to stderr.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "aws/lambda_client.hpp"
#include "command.hpp"

namespace {

int invoke_main(int argc, char** argv) {
    CLI::App app{"Invoke a function and print its response (REPORT line on stderr)",
                 "lambench invoke"};
    std::string name, payload = "{}", endpoint, region;
    app.add_option("name", name, "function name or ARN")->required();
    app.add_option("--payload", payload, "JSON event (default {})");
    app.add_option("--endpoint", endpoint,
                   "Lambda API endpoint (default $LAMBENCH_ENDPOINT, else http://127.0.0.1:9000)");
    app.add_option("--region", region, "region (default $AWS_REGION, else us-east-1)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (endpoint.empty()) {
        const char* e = std::getenv("LAMBENCH_ENDPOINT");
        endpoint = e && *e ? e : "http://127.0.0.1:9000";
    }
    if (region.empty()) {
        const char* r = std::getenv("AWS_REGION");
        region = r && *r ? r : "us-east-1";
    }
    try {
        auto creds = lambench::aws::load_credentials();
        if (!creds) creds = lambench::aws::credentials{"lambench", "lambench", ""};  // local: any
        lambench::aws::lambda_client client(endpoint, region, creds);
        auto r = client.invoke(name, payload, true);
        std::cout << r.payload;
        if (!r.payload.empty() && r.payload.back() != '\n') std::cout << '\n';
        std::cout.flush();
        std::string report;
        for (std::size_t pos = 0; pos < r.log_tail.size();) {
            auto nl = r.log_tail.find('\n', pos);
            auto line =
                r.log_tail.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
            if (line.rfind("REPORT ", 0) == 0) report = line;
            if (nl == std::string::npos) break;
            pos = nl + 1;
        }
        if (!report.empty()) std::fprintf(stderr, "%s\n", report.c_str());
        if (!r.function_error.empty()) {
            std::fprintf(stderr, "lambench invoke: function error (%s)\n",
                         r.function_error.c_str());
            return 1;
        }
        return 0;
    } catch (const lambench::aws::api_error& e) {
        std::fprintf(stderr, "lambench invoke: %s (HTTP %d)\n", e.what(), e.status);
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lambench invoke: %s\n", e.what());
        return 1;
    }
}

const lambench::cli::registrar reg{"invoke", "invoke a function, print its response and REPORT",
                                   invoke_main};

}  // namespace
