// `lambench report RESULTS.jsonl`: redraw any past run from its results file alone.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "command.hpp"
#include "cost_flags.hpp"
#include "driver/reporters.hpp"

namespace {

using namespace lambench::driver;

int report_main(int argc, char** argv) {
    CLI::App app{"Redraw the reports of a past run from its results file", "lambench report"};
    std::string path, fmt_name = "console";
    std::vector<std::string> ex_json, ex_csv, ex_md, ex_html;
    int markdown_memory = 256;
    app.add_option("results", path, "results.jsonl of a run")->required();
    app.add_option("--format", fmt_name,
                   "what to print on stdout: console | markdown | json | csv | html | none")
        ->check(CLI::IsMember({"console", "markdown", "json", "csv", "html", "none"}));
    app.add_option("--export-json", ex_json, "write the JSON report to FILE ('-' = stdout)");
    app.add_option("--export-csv", ex_csv, "write the CSV report to FILE ('-' = stdout)");
    app.add_option("--export-markdown", ex_md, "write the Markdown report to FILE ('-' = stdout)");
    app.add_option("--export-html", ex_html, "write the HTML report to FILE ('-' = stdout)");
    app.add_option("--markdown-memory", markdown_memory,
                   "memory size of the libraries table and chart (default 256)");
    std::string headline;
    app.add_option("--headline", headline,
                   "function of the HTML report's headline chart (default: the first database "
                   "function)");
    cost_options cost;
    lambench::cli::add_cost_flags(app, cost);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        const run_summary s = summarize(read_results(path), cost);
        for (const auto& w : s.read_warnings)
            std::fprintf(stderr, "lambench report: warning: %s\n", w.c_str());
        export_targets t;
        t.json = ex_json;
        t.csv = ex_csv;
        t.markdown = ex_md;
        t.html = ex_html;
        t.markdown_opts.memory_mb = markdown_memory;
        t.html_opts.library_memory_mb = markdown_memory;
        t.html_opts.headline_function = headline;
        if (t.uses_stdout()) fmt_name = "none";
        std::string text;
        if (fmt_name == "console")
            text = render_console(s);
        else if (fmt_name == "markdown")
            text = render_markdown(s, t.markdown_opts);
        else if (fmt_name == "json")
            text = render_json(s);
        else if (fmt_name == "csv")
            text = render_csv(s);
        else if (fmt_name == "html")
            text = render_html(s, t.html_opts);
        std::fwrite(text.data(), 1, text.size(), stdout);
        write_exports(s, t, true);
        for (const auto& w : s.warnings) std::fprintf(stderr, "%s\n", format_warning(w).c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lambench report: %s\n", e.what());
        return 2;
    }
}

const lambench::cli::registrar reg{"report", "redraw the reports of a past run (results.jsonl)",
                                   report_main};

}  // namespace
