// `lambench compare A.jsonl B.jsonl`: two runs, variant by variant.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "command.hpp"
#include "driver/compare.hpp"

namespace {

using namespace lambench::driver;

int compare_main(int argc, char** argv) {
    CLI::App app{"Compare two runs variant by variant (B relative to A)", "lambench compare"};
    std::string a_path, b_path;
    bool markdown = false;
    app.add_option("a", a_path, "results.jsonl of the baseline run (A)")->required();
    app.add_option("b", b_path, "results.jsonl of the new run (B)")->required();
    app.add_flag("--markdown", markdown, "print a Markdown table");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        const run_summary a = summarize(read_results(a_path));
        const run_summary b = summarize(read_results(b_path));
        for (const auto* s : {&a, &b})
            for (const auto& w : s->read_warnings)
                std::fprintf(stderr, "lambench compare: warning: %s\n", w.c_str());
        const std::string text = render_comparison(a, b, compare_runs(a, b), markdown);
        std::fwrite(text.data(), 1, text.size(), stdout);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lambench compare: %s\n", e.what());
        return 2;
    }
}

const lambench::cli::registrar reg{"compare", "compare two runs variant by variant", compare_main};

}  // namespace
