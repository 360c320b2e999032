// Lambda's log lines (START/END/REPORT exactly as Lambda writes them), the per-invocation tail,
// and the per-function log files under <state>/service/logs/<function>.log.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace lambench::service {

struct report_metrics {
    double duration_ms = 0;
    int memory_size_mb = 0;
    std::uint64_t max_memory_used_mb = 0;
    std::optional<double> init_duration_ms;  // cold invocations only
    bool partial_model = false;              // cgroups incomplete: marked in the line
    // How the invocation ended, as Lambda's REPORT says it: nothing on success, else
    // "Status: timeout" or "Status: error" with "Error Type: <type>" (Runtime.ExitError,
    // Runtime.OutOfMemory, ...). A function error the runtime reported through /error is a
    // successful invocation for the platform and carries no status.
    std::string status;      // "", "timeout" or "error"
    std::string error_type;  // with status "error"
    // A streamed response (not in Lambda's line, hence the Lambench prefix): its size, and how
    // long the bandwidth cap held the runtime back.
    std::optional<std::uint64_t> streamed_bytes;
    double stream_throttled_ms = 0;
};

std::string format_ms(double ms);  // "9.54"
// ceil(Duration), and on a cold invocation ceil(Init Duration + Duration): Lambda rounds the
// sum, so a cold start is never billed a millisecond more for rounding the two halves apart.
std::uint64_t billed_duration_ms(const report_metrics& m);
std::uint64_t bytes_to_mb_ceil(std::uint64_t bytes);

std::string start_line(const std::string& id);  // "START RequestId: <id> Version: $LATEST\n"
// Before a cold start's first line: "INIT_START Runtime Version: <version>\tRuntime Version ARN:
// <arn>\n" (Lambda names the runtime build it started; ours is the service's own version).
std::string init_start_line(const std::string& runtime, const std::string& region);
// The runtime version a function runs on, as INIT_START and RuntimeVersionConfig name it.
std::string runtime_version_arn(const std::string& runtime, const std::string& region);
std::string end_line(const std::string& id);                              // "END RequestId: <id>\n"
std::string report_line(const std::string& id, const report_metrics& m);  // with "\n"
std::string timeout_line(const std::string& id,
                         double timeout_s);  // "<ISO8601> <id> Task timed out after 3.00 seconds\n"

// The last max_bytes of an invocation's log (what X-Amz-Log-Result carries, before base64).
std::string_view log_tail(std::string_view log, std::size_t max_bytes = 4096);

// Append-only log files, one per function, each capped: when an append would take
// <function>.log past max_bytes, the file is renamed to <function>.log.1 (replacing the previous
// one) and a new <function>.log is started, so a function uses at most 2 x max_bytes of disk.
// Each append is one write(2) so that concurrent invocations never interleave inside a block; a
// block larger than max_bytes keeps only its last max_bytes. At most max_open files are kept open
// (least recently used closed first), and forget() closes a deleted function's file at once.
class log_store {
  public:
    static constexpr std::uint64_t default_max_bytes = 10ull * 1024 * 1024;
    static constexpr std::size_t default_max_open = 64;

    explicit log_store(std::filesystem::path dir, std::uint64_t max_bytes = default_max_bytes,
                       std::size_t max_open = default_max_open);
    ~log_store();
    log_store(const log_store&) = delete;
    log_store& operator=(const log_store&) = delete;

    void append(const std::string& function, std::string_view text);
    void forget(const std::string& function);  // close its file (the files stay on disk)
    void set_max_bytes(std::uint64_t max_bytes);
    std::uint64_t max_bytes() const { return max_bytes_; }
    std::size_t open_files() const { return files_.size(); }
    std::filesystem::path file_for(const std::string& function) const;     // <fn>.log
    std::filesystem::path rotated_for(const std::string& function) const;  // <fn>.log.1
    const std::filesystem::path& dir() const { return dir_; }

  private:
    struct open_file {
        int fd = -1;
        std::uint64_t last_use = 0;
    };
    int fd_for(const std::string& function);
    void close_file(std::map<std::string, open_file>::iterator it);
    void rotate(const std::string& function);

    std::filesystem::path dir_;
    std::uint64_t max_bytes_;
    std::size_t max_open_;
    std::uint64_t clock_ = 0;
    std::map<std::string, open_file> files_;
};

}  // namespace lambench::service
