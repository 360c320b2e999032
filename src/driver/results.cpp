#include "driver/results.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>
#include <thread>

#ifndef LAMBENCH_VERSION
#define LAMBENCH_VERSION "0.0.0"
#endif
#ifndef LAMBENCH_GIT_SHA
#define LAMBENCH_GIT_SHA "unknown"
#endif

namespace lambench::driver {

using json = nlohmann::json;

const char* to_string(phase p) {
    return p == phase::cold ? "cold" : "warm";
}

namespace {

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0) {
            auto colon = line.find(':');
            if (colon != std::string::npos) {
                auto v = line.substr(colon + 1);
                v.erase(0, v.find_first_not_of(' '));
                return v;
            }
        }
    }
    return "unknown";
}

std::string cgroup_mode() {
    struct stat st {};
    if (::stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) return "v2";
    if (::stat("/sys/fs/cgroup/memory", &st) == 0 && ::stat("/sys/fs/cgroup/cpu", &st) == 0)
        return ::access("/sys/fs/cgroup/memory", W_OK) == 0 ? "v1" : "v1 (read-only: off)";
    return "none";
}

json to_json(const variant_info& v) {
    json j = {{"function", v.function},
              {"profile", v.profile},
              {"library", v.library},
              {"runtime", v.runtime},
              {"architecture", v.architecture}};
    if (v.needs_database) j["needs_database"] = true;
    return j;
}

variant_info variant_from(const json& j) {
    variant_info v;
    v.function = j.at("function").get<std::string>();
    v.profile = j.at("profile").get<std::string>();
    v.library = j.value("library", "");
    v.runtime = j.value("runtime", "");
    v.architecture = j.value("architecture", "x86_64");
    if (auto it = j.find("needs_database"); it != j.end() && it->is_boolean())
        v.needs_database = it->get<bool>();
    return v;
}

json number(double v) {
    return std::isnan(v) ? json(nullptr) : json(v);
}
double number_from(const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return no_value;
    return it->get<double>();
}

// An int field. Only an integer that fits an int is one: a float such as 1e30 would otherwise
// be converted to int, which is undefined behaviour.
int to_int(const json& v, const char* key) {
    bool ok = false;
    if (v.is_number_unsigned()) {
        ok = v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<int>::max());
    } else if (v.is_number_integer()) {
        const auto x = v.get<std::int64_t>();
        ok = x >= std::numeric_limits<int>::min() && x <= std::numeric_limits<int>::max();
    }
    if (!ok) throw std::runtime_error(std::string("'") + key + "' must be an integer (an int)");
    return static_cast<int>(v.get<std::int64_t>());
}
int int_from(const json& j, const char* key, int fallback) {
    return j.contains(key) ? to_int(j.at(key), key) : fallback;
}
std::vector<int> ints_from(const json& j, const char* key) {
    std::vector<int> out;
    if (!j.contains(key)) return out;
    const json& v = j.at(key);
    if (!v.is_array()) throw std::runtime_error(std::string("'") + key + "' must be an array");
    for (const auto& e : v) out.push_back(to_int(e, key));
    return out;
}

}  // namespace

machine_context detect_machine() {
    machine_context m;
    struct utsname u {};
    if (::uname(&u) == 0) {
        m.host = u.nodename;
        m.kernel = std::string(u.sysname) + " " + u.release;
    }
    m.cpu_model = cpu_model();
    m.cores = static_cast<int>(std::thread::hardware_concurrency());
    m.cgroup_mode = cgroup_mode();
    // The service's default; the summary replaces it (and cgroup_mode) with what the service
    // reported with its samples.
    m.init_cpu = "full";
#ifdef NDEBUG
    m.build_type = "release";
#else
    m.build_type = "debug";
#endif
    m.lambench_version = LAMBENCH_VERSION;
    m.git_sha = LAMBENCH_GIT_SHA;
    return m;
}

std::string to_json_line(const run_header& h) {
    json variants = json::array();
    for (const auto& v : h.variants) variants.push_back(to_json(v));
    json j = {{"schema", h.schema},
              {"type", "header"},
              {"machine",
               {{"host", h.machine.host},
                {"kernel", h.machine.kernel},
                {"cpu_model", h.machine.cpu_model},
                {"cores", h.machine.cores},
                {"cgroup_mode", h.machine.cgroup_mode},
                {"init_cpu", h.machine.init_cpu},
                {"build_type", h.machine.build_type},
                {"lambench_version", h.machine.lambench_version},
                {"git_sha", h.machine.git_sha}}},
              {"suite", h.suite},
              {"target", h.target},
              {"start_time", h.start_time},
              {"memory", h.memory},
              {"cold", h.cold},
              {"warm", h.warm},
              {"concurrency", h.concurrency},
              {"variants", variants}};
    const std::initializer_list<std::pair<const char*, const std::string*>> context = {
        {"region", &h.region},
        {"endpoint", &h.endpoint},
        {"stack", &h.stack},
        {"resource_model", &h.resource_model}};
    for (const auto& [key, value] : context)
        if (!value->empty()) j[key] = *value;
    if (!h.architectures.empty()) j["architectures"] = h.architectures;
    return j.dump() + "\n";
}

std::string to_json_line(const sample& s) {
    json j = to_json(s.variant);
    j["type"] = "sample";
    j["memory_mb"] = s.memory_mb;
    j["phase"] = to_string(s.kind);
    j["index"] = s.index;
    j["ok"] = s.ok;
    j["duration_ms"] = number(s.duration_ms);
    j["billed_ms"] = number(s.billed_ms);
    j["init_ms"] = number(s.init_ms);
    j["max_memory_mb"] = number(s.max_memory_mb);
    j["memory_size_mb"] = s.memory_size_mb;
    j["round_trip_ms"] = number(s.round_trip_ms);
    if (!std::isnan(s.first_byte_ms)) j["first_byte_ms"] = s.first_byte_ms;
    if (!s.ok) {
        j["error_type"] = s.error_type;
        j["error_message"] = s.error_message;
    }
    if (s.abandoned) j["abandoned"] = true;
    if (s.throttled_retries > 0) j["throttled_retries"] = s.throttled_retries;
    if (s.conflict_retries > 0) j["conflict_retries"] = s.conflict_retries;
    if (!s.model.empty()) j["model"] = s.model;
    return j.dump() + "\n";
}

std::string to_json_line(const skipped_variant& s) {
    json j = to_json(s.variant);
    j["type"] = "skipped";
    j["reason"] = s.reason;
    return j.dump() + "\n";
}

results read_results(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open results file '" + path + "'");
    results r;
    std::string line;
    std::size_t line_no = 0;
    bool have_header = false;
    std::vector<std::string> lines;
    while (std::getline(in, line)) lines.push_back(line);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        line_no = i + 1;
        const auto& text = lines[i];
        if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.is_object()) {
            // A run killed mid-write leaves a torn line; it may be followed by lines of a
            // resumed run, so skip it wherever it is, but say so.
            r.read_warnings.push_back(path + ":" + std::to_string(line_no) +
                                      ": ignoring a truncated or malformed line");
            continue;
        }
        try {
            const auto type = j.value("type", "");
            if (type == "header") {
                if (have_header) continue;  // a resumed run never writes a second header
                auto schema = j.value("schema", "");
                if (schema != results_schema)
                    throw std::runtime_error("unsupported schema '" + schema + "' (expected " +
                                             results_schema + ")");
                auto& h = r.header;
                const auto& m = j.at("machine");
                h.machine.host = m.value("host", "");
                h.machine.kernel = m.value("kernel", "");
                h.machine.cpu_model = m.value("cpu_model", "");
                h.machine.cores = int_from(m, "cores", 0);
                h.machine.cgroup_mode = m.value("cgroup_mode", "");
                h.machine.init_cpu = m.value("init_cpu", "");
                h.machine.build_type = m.value("build_type", "");
                h.machine.lambench_version = m.value("lambench_version", "");
                h.machine.git_sha = m.value("git_sha", "");
                h.suite = j.value("suite", "");
                h.target = j.value("target", "");
                h.start_time = j.value("start_time", "");
                h.memory = ints_from(j, "memory");
                h.cold = int_from(j, "cold", 0);
                h.warm = int_from(j, "warm", 0);
                h.concurrency = int_from(j, "concurrency", 1);
                for (const auto& v : j.value("variants", json::array()))
                    h.variants.push_back(variant_from(v));
                h.region = j.value("region", "");
                h.endpoint = j.value("endpoint", "");
                h.stack = j.value("stack", "");
                h.resource_model = j.value("resource_model", "");
                h.architectures = j.value("architectures", std::vector<std::string>{});
                have_header = true;
            } else if (type == "sample") {
                sample s;
                s.variant = variant_from(j);
                s.memory_mb = to_int(j.at("memory_mb"), "memory_mb");
                const auto ph = j.at("phase").get<std::string>();
                if (ph != "cold" && ph != "warm")
                    throw std::runtime_error("bad phase '" + ph + "'");
                s.kind = ph == "cold" ? phase::cold : phase::warm;
                s.index = int_from(j, "index", 0);
                s.ok = j.at("ok").get<bool>();
                s.duration_ms = number_from(j, "duration_ms");
                s.billed_ms = number_from(j, "billed_ms");
                s.init_ms = number_from(j, "init_ms");
                s.max_memory_mb = number_from(j, "max_memory_mb");
                s.memory_size_mb = int_from(j, "memory_size_mb", 0);
                s.round_trip_ms = number_from(j, "round_trip_ms");
                s.first_byte_ms = number_from(j, "first_byte_ms");
                s.error_type = j.value("error_type", "");
                s.error_message = j.value("error_message", "");
                s.abandoned = j.value("abandoned", false);
                s.throttled_retries = int_from(j, "throttled_retries", 0);
                s.conflict_retries = int_from(j, "conflict_retries", 0);
                s.model = j.value("model", "");
                r.samples.push_back(std::move(s));
            } else if (type == "skipped") {
                r.skipped.push_back({variant_from(j), j.value("reason", "")});
            } else {
                r.read_warnings.push_back(path + ":" + std::to_string(line_no) +
                                          ": ignoring a line of unknown type '" + type + "'");
            }
        } catch (const json::exception& e) {
            throw std::runtime_error(path + ":" + std::to_string(line_no) + ": " + e.what());
        } catch (const std::runtime_error& e) {
            throw std::runtime_error(path + ":" + std::to_string(line_no) + ": " + e.what());
        }
    }
    if (!have_header)
        throw std::runtime_error("'" + path + "' is not a lambench results file (no header line)");
    return r;
}

results_writer::results_writer(const std::string& path) : path_(path) {
    fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!fd_) throw std::system_error(errno, std::generic_category(), "open(" + path + ")");
    // Terminate a torn last line so the next record is parsed on its own.
    const off_t size = ::lseek(fd_.get(), 0, SEEK_END);
    if (size > 0) {
        char last = '\n';
        if (::pread(fd_.get(), &last, 1, size - 1) == 1 && last != '\n') append("");
    }
}

void results_writer::append(std::string line) {
    if (line.empty() || line.back() != '\n') line.push_back('\n');
    std::size_t done = 0;
    while (done < line.size()) {
        const ssize_t n = ::write(fd_.get(), line.data() + done, line.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "write(" + path_ + ")");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fdatasync(fd_.get()) != 0 && errno != EINVAL)
        throw std::system_error(errno, std::generic_category(), "fdatasync(" + path_ + ")");
}

}  // namespace lambench::driver
