// A suite (TOML, suites/*.toml): which functions and build profiles to measure, at which
// memory sizes, with how many cold and warm samples, and where (target). The CLI overrides
// any of it. Every error is a suite_error whose message is one line naming the problem.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lambench::driver {

struct suite_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct function_spec {
    std::string name;
    // Artifact per profile: a directory holding `bootstrap` (or a SKIPPED file), or a .zip.
    // "{function}" and "{profile}" are substituted; a relative path is taken from the
    // artifacts root (default: <build>/functions next to the lambench binary).
    std::string artifact = "{function}/{profile}";
    std::string runtime = "provided.al2023";
    std::string handler = "bootstrap";
    std::string architecture = "x86_64";
    std::string library;  // report label, e.g. "libpq"; defaults to the function name
    std::vector<std::string> profiles;
    std::map<std::string, std::string> environment;
    bool needs_database = false;
    std::string payload = "{}";  // JSON event
    int timeout_s = 30;
    // Invoked with InvokeWithResponseStream, recording time to first byte (a streaming function).
    bool stream = false;
};

struct suite {
    std::string name, description, path;
    std::vector<int> memory;
    int cold = 10, warm = 50, concurrency = 1;
    std::string target = "local";
    std::vector<function_spec> functions;
};

suite load_suite(const std::string& path);  // throws suite_error
suite parse_suite(const std::string& toml_text, const std::string& source_name);

// "128,256,512": each 128..10240 MB, no duplicates; throws suite_error on anything else.
std::vector<int> parse_memory_list(const std::string& text);

struct overrides {
    std::optional<std::vector<int>> memory;
    std::optional<int> cold, warm;
    std::vector<std::string> function_globs;  // match "function" or "function/profile"
    std::optional<std::string> target;
    bool quick = false;  // CI preset: the first two memory sizes, 3 cold, 10 warm
};
// Applies CLI overrides (explicit values win over --quick). Throws suite_error when a glob
// matches nothing or a count is out of range.
void apply(suite& s, const overrides& o);

bool glob_match(const std::string& pattern, const std::string& text);

}  // namespace lambench::driver
