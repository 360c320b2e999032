// The results JSONL reader (src/driver/results.cpp) and what `lambench report` does with what it
// read: the fuzz input is a results file (any bytes), written to a scratch file and read back
// with read_results, which either throws std::runtime_error naming the file and line or returns
// results; these are then summarised and rendered by every reporter, and every sample is written
// back as a JSON line that must parse again.
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "driver/reporters.hpp"
#include "driver/results.hpp"
#include "driver/summary.hpp"
#include "fuzz_common.hpp"

namespace drv = lambench::driver;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path = (lambench_fuzz::scratch_dir() / "results.jsonl").string();
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    drv::results r;
    try {
        r = drv::read_results(path);
    } catch (const std::runtime_error&) {
        return 0;
    }
    // Written back, each record is one line of valid JSON.
    auto check_line = [](const std::string& line) {
        if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1 ||
            !nlohmann::json::accept(line))
            lambench_fuzz::violated("to_json_line wrote a line that does not parse", line);
    };
    check_line(drv::to_json_line(r.header));
    for (const auto& s : r.samples) check_line(drv::to_json_line(s));
    for (const auto& s : r.skipped) check_line(drv::to_json_line(s));

    // `lambench report` on it, in every format.
    auto summary = drv::summarize(r);
    (void)drv::render_console(summary);
    (void)drv::render_markdown(summary);
    (void)drv::render_csv(summary);
    (void)drv::render_html(summary);
    auto json_text = drv::render_json(summary);
    if (!nlohmann::json::accept(json_text))
        lambench_fuzz::violated("render_json wrote invalid JSON", json_text);
    (void)drv::compare_profiles(summary);
    return 0;
}
