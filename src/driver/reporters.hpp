// Reporters: each formats the same run_summary (summary.hpp) and nothing else, so a past
// results file renders exactly like a live run. All return text; writing is separate.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "driver/summary.hpp"

namespace lambench::driver {

// hyperfine-like: per variant and memory size, "Time (median ± MdAPE)", "Range (min … max)",
// "N runs", then the ratios between profiles of each function.
std::string render_console_variant(const run_summary& s, const variant_summary& v);
std::string render_console_summary(const run_summary& s);
std::string render_console(const run_summary& s);

struct markdown_options {
    std::vector<std::string> functions;  // table 1 for these (default: every function)
    int memory_mb = 256;                 // table 2 at this size (else the nearest measured)
};
// The study's two tables: (1) rows = memory size, columns = cold start and next exec per
// profile, one table per function; (2) rows = library, columns = 1st exec, max exec, min exec
// and max memory used per profile, at one memory size. "n/a" and "error" cells carry footnotes.
// Then cost per million invocations and the recommendation per variant.
std::string render_markdown(const run_summary& s, const markdown_options& o = {});
std::string render_json(const run_summary& s);
std::string render_csv(const run_summary& s);
struct html_options {
    // The function of the headline chart "cold start and next exec vs memory, per profile".
    // Empty: the first function that needs a database (the study's use case), else the first.
    std::string headline_function;
    int library_memory_mb = 256;  // the library bar chart at this size (else the nearest measured)
};
// The headline function html_options resolves to ("" when the run has no functions).
std::string headline_function(const run_summary& s, const html_options& o = {});
// One colour per profile for every chart, legend and marker of a report: the well-known profiles
// (shared, static, bundled, jit) always get the same colour of Okabe & Ito's colour-blind-safe
// palette; other profiles take the remaining colours in plan order.
std::map<std::string, std::string> profile_colours(const std::vector<std::string>& profiles);
// Self-contained HTML (inline CSS and SVG, no scripts, no network): opens offline. Opens with the
// study's two questions as charts: cold start and next exec vs memory per profile (headline
// function), and the libraries at one memory size as grouped bars.
std::string render_html(const run_summary& s, const html_options& o = {});

struct export_targets {
    std::vector<std::string> json, csv, markdown, html;  // file paths; "-" = stdout
    markdown_options markdown_opts;
    html_options html_opts;
    bool uses_stdout() const;
};
// Writes each requested export (to a temporary file renamed into place, so a reader never
// sees half a report). "-" is written only when `final` (stdout cannot be rewritten).
// Throws std::system_error naming the file.
void write_exports(const run_summary& s, const export_targets& t, bool final = true);
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace lambench::driver
