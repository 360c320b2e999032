// `lambench artifact-check PATH...`: will each function artifact (a directory with bootstrap at
// its root, or its zip) run on Lambda's provided.al2023? Prints one verdict per artifact; exit 0
// when all are runnable, 1 when one is not, 2 on usage errors.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "aws/artifact_check.hpp"
#include "command.hpp"

namespace {

int artifact_check_main(int argc, char** argv) {
    CLI::App app{
        "Check that function artifacts can run on AWS Lambda's provided.al2023 (glibc "
        "2.34): interpreter, DT_NEEDED libraries and symbol versions against the "
        "recorded Amazon Linux 2023 baseline",
        "lambench artifact-check"};
    std::vector<std::string> paths;
    std::string baseline_file;
    app.add_option("artifact", paths,
                   "artifact directory (build/functions/<name>/<profile>) or zip")
        ->required();
    app.add_option("--baseline", baseline_file,
                   "baseline file instead of the built-in deploy/aws/al2023-baseline.txt");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    lambench::aws::al2023_baseline custom;
    const lambench::aws::al2023_baseline* base = &lambench::aws::builtin_al2023_baseline();
    if (!baseline_file.empty()) {
        std::ifstream in(baseline_file);
        if (!in) {
            std::fprintf(stderr, "lambench artifact-check: cannot read %s\n",
                         baseline_file.c_str());
            return 2;
        }
        std::ostringstream text;
        text << in.rdbuf();
        custom = lambench::aws::parse_baseline(text.str());
        base = &custom;
    }
    bool all_runnable = true;
    for (const auto& p : paths) {
        const auto v = lambench::aws::check_artifact(p, *base);
        all_runnable = all_runnable && v.runnable;
        std::printf("%s: %s%s%s\n", p.c_str(),
                    v.runnable ? "runnable on provided.al2023" : "n/a on provided.al2023",
                    v.architecture.empty() ? "" : " (",
                    v.architecture.empty() ? "" : (v.architecture + ")").c_str());
        for (const auto& r : v.reasons) std::printf("  - %s\n", r.c_str());
        for (const auto& n : v.notes) std::printf("  note: %s\n", n.c_str());
    }
    return all_runnable ? 0 : 1;
}

const lambench::cli::registrar reg{"artifact-check",
                                   "will a function artifact run on Lambda's provided.al2023?",
                                   artifact_check_main};

}  // namespace
