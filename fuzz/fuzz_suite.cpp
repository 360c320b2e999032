// Suite TOML loading (src/driver/suite.cpp): the fuzz input is a suite file, parsed by
// parse_suite (what load_suite does after reading the file); the only exception allowed is
// suite_error. A payload written as an inline TOML table must become the same JSON document
// (compacting the formatter's output must not change a string). The CLI's pieces that parse
// text get the same bytes: parse_memory_list (--memory) and apply() with --quick and a glob.
#include <toml++/toml.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "driver/suite.hpp"
#include "fuzz_common.hpp"

namespace drv = lambench::driver;

namespace {

// The payload of each [[function]] that wrote it as a table, as toml++ renders it in JSON.
void check_table_payloads(const std::string& text, const drv::suite& s) {
    toml::table root;
    try {
        root = toml::parse(text, std::string_view("fuzz.toml"));
    } catch (const toml::parse_error&) {
        lambench_fuzz::violated("parse_suite accepted what toml++ refuses", text);
    }
    const toml::array* fns = root["function"].as_array();
    if (!fns) return;
    for (std::size_t i = 0; i < fns->size() && i < s.functions.size(); ++i) {
        const toml::table* t = (*fns)[i].as_table();
        const toml::table* payload = t ? t->get_as<toml::table>("payload") : nullptr;
        if (!payload) continue;
        std::ostringstream out;
        out << toml::json_formatter{*payload, toml::format_flags::none};
        auto expected = nlohmann::json::parse(out.str(), nullptr, false);
        auto got = nlohmann::json::parse(s.functions[i].payload, nullptr, false);
        if (expected.is_discarded()) continue;  // the formatter's own business
        if (got.is_discarded() || got != expected)
            lambench_fuzz::violated("a table payload does not become the same JSON",
                                    out.str() + "\n--- became ---\n" + s.functions[i].payload);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        (void)drv::parse_memory_list(text);
    } catch (const drv::suite_error&) {
    }
    drv::suite s;
    try {
        s = drv::parse_suite(text, "fuzz.toml");
    } catch (const drv::suite_error&) {
        return 0;
    }
    check_table_payloads(text, s);
    try {
        drv::overrides o;
        o.quick = true;
        o.function_globs = {"*", s.functions.front().name + "/*"};
        drv::apply(s, o);
    } catch (const drv::suite_error&) {
    }
    return 0;
}
