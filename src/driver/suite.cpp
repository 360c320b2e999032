#include "driver/suite.hpp"

#include <fnmatch.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

namespace lambench::driver {

namespace {

constexpr int min_memory_mb = 128, max_memory_mb = 10240;

[[noreturn]] void fail(const std::string& where, const std::string& what) {
    throw suite_error(where + ": " + what);
}

std::string where_of(const std::string& source, const toml::node& n) {
    const auto& src = n.source();
    return source + ":" + std::to_string(src.begin.line);
}

void check_memory(int64_t mb, const std::string& where) {
    if (mb < min_memory_mb || mb > max_memory_mb)
        fail(where, "memory size " + std::to_string(mb) + " MB is outside " +
                        std::to_string(min_memory_mb) + "-" + std::to_string(max_memory_mb) +
                        " MB");
}

int int_field(const toml::table& t, const char* key, int fallback, const std::string& source) {
    const toml::node* n = t.get(key);
    if (!n) return fallback;
    // Type first: toml++'s float->integer conversion casts out-of-range doubles (UB).
    if (!n->is_integer())
        fail(where_of(source, *n), std::string("'") + key + "' must be an integer");
    const int64_t v = *n->value<int64_t>();
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
        fail(where_of(source, *n), std::string("'") + key + "' is out of range");
    return static_cast<int>(v);
}

std::string string_field(const toml::table& t, const char* key, const std::string& fallback,
                         const std::string& source) {
    const toml::node* n = t.get(key);
    if (!n) return fallback;
    if (!n->is_string()) fail(where_of(source, *n), std::string("'") + key + "' must be a string");
    return *n->value<std::string>();
}

// A payload may be written as a JSON string or as an inline TOML table.
std::string payload_field(const toml::table& t, const std::string& source) {
    const toml::node* n = t.get("payload");
    if (!n) return "{}";
    if (n->is_string()) return *n->value<std::string>();
    if (n->is_table()) {
        std::ostringstream out;
        out << toml::json_formatter{*n->as_table(), toml::format_flags::none};
        std::string text = out.str();
        // json_formatter pretty-prints; the event is sent compact.
        std::string compact;
        bool in_string = false, escaped = false;  // a string may end in an escaped backslash
        for (char c : text) {
            if (in_string) {
                if (escaped)
                    escaped = false;
                else if (c == '\\')
                    escaped = true;
                else if (c == '"')
                    in_string = false;
            } else if (c == '"') {
                in_string = true;
            } else if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
                continue;
            }
            compact.push_back(c);
        }
        return compact;
    }
    fail(where_of(source, *n), "'payload' must be a JSON string or an inline table");
}

}  // namespace

std::vector<int> parse_memory_list(const std::string& text) {
    std::vector<int> out;
    std::set<int> seen;
    std::size_t pos = 0;
    if (text.empty()) throw suite_error("memory list is empty (expected e.g. 128,256,512)");
    while (pos <= text.size()) {
        auto comma = text.find(',', pos);
        std::string item =
            text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        if (item.size() > 2 && (item.ends_with("MB") || item.ends_with("mb")))
            item.resize(item.size() - 2);
        int mb = 0;
        auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), mb);
        if (item.empty() || ec != std::errc() || end != item.data() + item.size())
            throw suite_error("bad memory size '" + item + "' in '" + text +
                              "' (expected MB numbers, e.g. 128,256,512)");
        check_memory(mb, "memory list");
        if (!seen.insert(mb).second)
            throw suite_error("memory size " + std::to_string(mb) + " MB is listed twice");
        out.push_back(mb);
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    return out;
}

suite parse_suite(const std::string& text, const std::string& source) {
    toml::table root;
    try {
        root = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        const auto& b = e.source().begin;
        throw suite_error(source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                          ": " + std::string(e.description()));
    }
    suite s;
    s.path = source;
    s.name = string_field(root, "name", "", source);
    s.description = string_field(root, "description", "", source);
    s.cold = int_field(root, "cold", s.cold, source);
    s.warm = int_field(root, "warm", s.warm, source);
    s.concurrency = int_field(root, "concurrency", s.concurrency, source);
    s.target = string_field(root, "target", s.target, source);
    const auto defaults = root["defaults"].as_table();

    if (const toml::node* mem = root.get("memory")) {
        const toml::array* arr = mem->as_array();
        if (!arr || arr->empty())
            fail(where_of(source, *mem), "'memory' must be a non-empty array of MB");
        for (const auto& el : *arr) {
            if (!el.is_integer())
                fail(where_of(source, el), "'memory' entries must be integers (MB)");
            const auto v = el.value<int64_t>();
            check_memory(*v, where_of(source, el));
            if (std::find(s.memory.begin(), s.memory.end(), *v) != s.memory.end())
                fail(where_of(source, el),
                     "memory size " + std::to_string(*v) + " MB is listed twice");
            s.memory.push_back(static_cast<int>(*v));
        }
    } else {
        fail(source, "missing 'memory' (e.g. memory = [128, 256, 512])");
    }
    if (s.cold < 0 || s.warm < 0) fail(source, "'cold' and 'warm' must be >= 0");
    if (s.cold == 0 && s.warm == 0)
        fail(source, "'cold' and 'warm' are both 0: nothing to measure");
    if (s.concurrency != 1)
        fail(source, "concurrency " + std::to_string(s.concurrency) +
                         " is not supported yet (only 1: one invocation at a time)");

    const toml::node* fns = root.get("function");
    if (!fns || !fns->is_array_of_tables() || fns->as_array()->empty())
        fail(source, "no [[function]] entries");
    for (const auto& node : *fns->as_array()) {
        const auto& t = *node.as_table();
        const std::string where = where_of(source, node);
        function_spec f;
        auto inherit = [&](const char* key, const std::string& fallback) {
            return defaults ? string_field(*defaults, key, fallback, source) : fallback;
        };
        f.name = string_field(t, "name", "", source);
        if (f.name.empty()) fail(where, "[[function]] without 'name'");
        f.artifact = string_field(t, "artifact", inherit("artifact", f.artifact), source);
        f.runtime = string_field(t, "runtime", inherit("runtime", f.runtime), source);
        f.handler = string_field(t, "handler", inherit("handler", f.handler), source);
        f.architecture =
            string_field(t, "architecture", inherit("architecture", f.architecture), source);
        if (f.architecture != "x86_64" && f.architecture != "arm64")
            fail(where, "architecture '" + f.architecture + "' (expected x86_64 or arm64)");
        f.library = string_field(t, "library", f.name, source);
        f.payload = payload_field(t, source);
        f.timeout_s = int_field(
            t, "timeout",
            defaults ? int_field(*defaults, "timeout", f.timeout_s, source) : f.timeout_s, source);
        if (f.timeout_s < 1 || f.timeout_s > 900) fail(where, "'timeout' must be 1-900 seconds");
        if (const toml::node* st = t.get("stream")) {
            if (!st->is_boolean()) fail(where_of(source, *st), "'stream' must be true or false");
            f.stream = *st->value<bool>();
        }
        if (const toml::node* nd = t.get("needs_database")) {
            if (!nd->is_boolean())
                fail(where_of(source, *nd), "'needs_database' must be true or false");
            f.needs_database = *nd->value<bool>();
        }
        const toml::node* profiles = t.get("profiles");
        if (!profiles) profiles = defaults ? defaults->get("profiles") : nullptr;
        if (!profiles || !profiles->is_array() || profiles->as_array()->empty())
            fail(where,
                 "function '" + f.name + "' has no 'profiles' (e.g. profiles = [\"static\"])");
        for (const auto& p : *profiles->as_array()) {
            if (!p.is_string()) fail(where_of(source, p), "'profiles' entries must be strings");
            f.profiles.push_back(*p.value<std::string>());
        }
        if (const toml::node* env = t.get("environment")) {
            if (!env->is_table()) fail(where_of(source, *env), "'environment' must be a table");
            for (const auto& [k, v] : *env->as_table()) {
                if (!v.is_string()) fail(where_of(source, v), "environment values must be strings");
                f.environment[std::string(k.str())] = *v.value<std::string>();
            }
        }
        for (const auto& other : s.functions)
            if (other.name == f.name) fail(where, "function '" + f.name + "' is listed twice");
        s.functions.push_back(std::move(f));
    }
    return s;
}

suite load_suite(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw suite_error("cannot read suite '" + path + "'");
    std::stringstream buf;
    buf << in.rdbuf();
    return parse_suite(buf.str(), path);
}

bool glob_match(const std::string& pattern, const std::string& text) {
    return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

void apply(suite& s, const overrides& o) {
    if (o.quick) {
        if (s.memory.size() > 2) s.memory.resize(2);
        s.cold = std::min(s.cold, 3);
        s.warm = std::min(s.warm, 10);
    }
    if (o.memory) s.memory = *o.memory;
    if (o.cold) {
        if (*o.cold < 0) throw suite_error("--cold must be >= 0");
        s.cold = *o.cold;
    }
    if (o.warm) {
        if (*o.warm < 0) throw suite_error("--warm must be >= 0");
        s.warm = *o.warm;
    }
    if (s.cold == 0 && s.warm == 0)
        throw suite_error("--cold and --warm are both 0: nothing to measure");
    if (o.target) s.target = *o.target;
    if (!o.function_globs.empty()) {
        std::vector<function_spec> kept;
        for (const auto& glob : o.function_globs) {
            bool matched = false;
            for (const auto& f : s.functions) {
                std::vector<std::string> profiles;
                if (glob_match(glob, f.name)) {
                    profiles = f.profiles;
                } else {
                    for (const auto& p : f.profiles)
                        if (glob_match(glob, f.name + "/" + p)) profiles.push_back(p);
                }
                if (profiles.empty()) continue;
                matched = true;
                auto it = std::find_if(kept.begin(), kept.end(),
                                       [&](const function_spec& k) { return k.name == f.name; });
                if (it == kept.end()) {
                    kept.push_back(f);
                    kept.back().profiles.clear();
                    it = kept.end() - 1;
                }
                for (const auto& p : profiles)
                    if (std::find(it->profiles.begin(), it->profiles.end(), p) ==
                        it->profiles.end())
                        it->profiles.push_back(p);
            }
            if (!matched) {
                std::string names;
                for (const auto& f : s.functions) names += (names.empty() ? "" : ", ") + f.name;
                throw suite_error("--function '" + glob + "' matches no function of suite '" +
                                  s.name + "' (" + names + ")");
            }
        }
        s.functions = std::move(kept);
    }
}

}  // namespace lambench::driver
