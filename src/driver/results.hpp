// The results file: JSON Lines, one header line with the machine context and the plan, then
// one line per sample, appended and flushed as each sample lands. A run killed half-way
// leaves a valid file; a half-written last line is ignored on read (with a warning).
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "posix/unique_fd.hpp"

namespace lambench::driver {

inline constexpr const char* results_schema = "lambench.results/1";

struct machine_context {
    std::string host, kernel, cpu_model;
    int cores = 0;
    std::string cgroup_mode;  // "v1", "v2", "none" (+ detail from the service when it has one)
    std::string init_cpu;     // "full" | "proportional" (the service's setting)
    std::string build_type;   // "release" | "debug" (of lambench itself)
    std::string lambench_version, git_sha;
    // The resource model the service reported with its samples ("cgroups=v1; init_cpu=full;
    // isolation=off; mmu_definition=2; resources=full"); "" when it said nothing (AWS, an
    // emulator, an older service). The summary fills it, and cgroup_mode and init_cpu from it.
    std::string model;
};
machine_context detect_machine();  // reads uname, /proc and /sys; never throws

// One function × build profile, with the labels the reports group by.
struct variant_info {
    std::string function, profile, library, runtime, architecture = "x86_64";
    bool needs_database = false;  // written only when true
    std::string id() const { return function + "/" + profile; }
};

struct run_header {
    std::string schema = results_schema;
    machine_context machine;
    std::string suite, target, start_time;  // start_time: ISO 8601 UTC
    std::vector<int> memory;
    int cold = 0, warm = 0, concurrency = 1;
    std::vector<variant_info> variants;  // the plan, in order
    // Where a remote target ran (written only when set; the aws target sets them): its region,
    // the Lambda endpoint when overridden, the stack, the architectures of the variants, and the
    // resource model ("aws": Lambda's own, not the local service's).
    std::string region, endpoint, stack, resource_model;
    std::vector<std::string> architectures;
};

enum class phase { cold, warm };
const char* to_string(phase p);

inline constexpr double no_value = std::numeric_limits<double>::quiet_NaN();

struct sample {
    variant_info variant;
    int memory_mb = 0;
    phase kind = phase::warm;
    int index = 0;  // 0-based within (variant, memory, phase)
    bool ok = false;
    // From the REPORT line (NaN when absent, e.g. after a client-side failure).
    double duration_ms = no_value, billed_ms = no_value, init_ms = no_value;
    double max_memory_mb = no_value;
    int memory_size_mb = 0;
    double round_trip_ms = no_value;  // client: request written -> response read
    // Streaming functions: client, request written -> first byte of the answer (its first
    // chunk); round_trip_ms is then the time to the last byte. Written only when measured.
    double first_byte_ms = no_value;
    std::string error_type, error_message;
    std::string model;  // the service's resource model with this sample; "" when not stated
    // Set on the failure after which the driver gave up on this (variant, memory, phase):
    // the cell counts as finished for --resume.
    bool abandoned = false;
    // Calls retried before this sample's outcome (throttled: 429 TooManyRequestsException;
    // conflicts: 409 ResourceConflictException), its cold start's configuration change
    // included. Written only when non-zero.
    int throttled_retries = 0, conflict_retries = 0;
};

struct skipped_variant {
    variant_info variant;
    std::string reason;  // the SKIPPED file's line
};

struct results {
    run_header header;
    std::vector<sample> samples;
    std::vector<skipped_variant> skipped;
    std::vector<std::string> read_warnings;  // e.g. the truncated last line
};

// Throws std::runtime_error naming the file and line for a file that is not a results file.
results read_results(const std::string& path);

std::string to_json_line(const run_header& h);
std::string to_json_line(const sample& s);
std::string to_json_line(const skipped_variant& s);

// Appends lines with one write(2) each, so a kill between samples never tears a line, and
// fdatasync()s so a machine crash loses at most the last sample. Move-only owner of the fd.
class results_writer {
  public:
    // Opens for append (creating the file). If the file ends in a torn line (a killed run),
    // a newline is written first so the next record starts clean.
    explicit results_writer(const std::string& path);
    results_writer(results_writer&&) noexcept = default;
    results_writer& operator=(results_writer&&) noexcept = default;

    void write(const run_header& h) { append(to_json_line(h)); }
    void write(const sample& s) { append(to_json_line(s)); }
    void write(const skipped_variant& s) { append(to_json_line(s)); }
    const std::string& path() const { return path_; }

  private:
    void append(std::string line);
    std::string path_;
    posix::unique_fd fd_;
};

}  // namespace lambench::driver
