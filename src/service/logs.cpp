#include "logs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "util.hpp"

namespace lambench::service {

std::string format_ms(double ms) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", ms);
    return buf;
}

std::uint64_t billed_duration_ms(const report_metrics& m) {
    auto billed = static_cast<std::uint64_t>(std::ceil(m.duration_ms));
    if (m.init_duration_ms) billed += static_cast<std::uint64_t>(std::ceil(*m.init_duration_ms));
    return billed;
}

std::uint64_t bytes_to_mb_ceil(std::uint64_t bytes) {
    constexpr std::uint64_t mb = 1024 * 1024;
    return (bytes + mb - 1) / mb;
}

std::string start_line(const std::string& id) {
    return "START RequestId: " + id + " Version: $LATEST\n";
}

std::string end_line(const std::string& id) { return "END RequestId: " + id + "\n"; }

std::string report_line(const std::string& id, const report_metrics& m) {
    std::string s = "REPORT RequestId: " + id + "\tDuration: " + format_ms(m.duration_ms) +
                    " ms\tBilled Duration: " + std::to_string(billed_duration_ms(m)) +
                    " ms\tMemory Size: " + std::to_string(m.memory_size_mb) +
                    " MB\tMax Memory Used: " + std::to_string(m.max_memory_used_mb) + " MB";
    if (m.init_duration_ms) s += "\tInit Duration: " + format_ms(*m.init_duration_ms) + " ms";
    // Only when the resource model is incomplete, so complete runs keep Lambda's exact format.
    if (m.partial_model) s += "\tLambench Resource Model: partial";
    s += '\n';
    return s;
}

std::string timeout_line(const std::string& id, double timeout_s) {
    return iso8601_now_ms() + " " + id + " Task timed out after " + format_ms(timeout_s) +
           " seconds\n";
}

std::string_view log_tail(std::string_view log, std::size_t max_bytes) {
    return log.size() <= max_bytes ? log : log.substr(log.size() - max_bytes);
}

log_store::log_store(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
}

log_store::~log_store() {
    for (auto& [name, fd] : fds_) ::close(fd);
}

std::filesystem::path log_store::file_for(const std::string& function) const {
    return dir_ / (function + ".log");
}

void log_store::append(const std::string& function, std::string_view text) {
    if (text.empty()) return;
    auto it = fds_.find(function);
    if (it == fds_.end()) {
        int fd = ::open(file_for(function).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            std::fprintf(stderr, "lambench serve: open %s: %s (log lost)\n",
                         file_for(function).c_str(), std::strerror(errno));
            return;
        }
        it = fds_.emplace(function, fd).first;
    }
    while (!text.empty()) {
        ssize_t w = ::write(it->second, text.data(), text.size());
        if (w < 0) {
            if (errno == EINTR) continue;
            std::fprintf(stderr, "lambench serve: write %s: %s (log lost)\n",
                         file_for(function).c_str(), std::strerror(errno));
            return;
        }
        text.remove_prefix(static_cast<std::size_t>(w));
    }
}

}  // namespace lambench::service
