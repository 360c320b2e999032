#include "logs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
    double ms = m.duration_ms + m.init_duration_ms.value_or(0.0);
    return static_cast<std::uint64_t>(std::ceil(ms));
}

std::uint64_t bytes_to_mb_ceil(std::uint64_t bytes) {
    constexpr std::uint64_t mb = 1024 * 1024;
    return (bytes + mb - 1) / mb;
}

std::string start_line(const std::string& id) {
    return "START RequestId: " + id + " Version: $LATEST\n";
}

std::string init_start_line(const std::string& runtime, const std::string& region) {
    // Lambda: "INIT_START Runtime Version: provided:al2023.v38\tRuntime Version ARN:
    // arn:aws:lambda:us-east-1::runtime:<hash>". The version names our build of the platform.
    std::string family = runtime;
    if (auto dot = family.find('.'); dot != std::string::npos) family[dot] = ':';
    return "INIT_START Runtime Version: " + family +
           ".lambench\tRuntime Version ARN: " + runtime_version_arn(runtime, region) + "\n";
}

std::string runtime_version_arn(const std::string& runtime, const std::string& region) {
    return "arn:aws:lambda:" + region + "::runtime:lambench-" + runtime;
}

std::string end_line(const std::string& id) {
    return "END RequestId: " + id + "\n";
}

std::string report_line(const std::string& id, const report_metrics& m) {
    std::string s = "REPORT RequestId: " + id + "\tDuration: " + format_ms(m.duration_ms) +
                    " ms\tBilled Duration: " + std::to_string(billed_duration_ms(m)) +
                    " ms\tMemory Size: " + std::to_string(m.memory_size_mb) +
                    " MB\tMax Memory Used: " + std::to_string(m.max_memory_used_mb) + " MB";
    if (m.init_duration_ms) s += "\tInit Duration: " + format_ms(*m.init_duration_ms) + " ms";
    if (!m.status.empty()) s += "\tStatus: " + m.status;
    if (!m.error_type.empty()) s += "\tError Type: " + m.error_type;
    if (m.streamed_bytes)
        s += "\tLambench Streamed Bytes: " + std::to_string(*m.streamed_bytes) +
             "\tLambench Stream Throttled: " + format_ms(m.stream_throttled_ms) + " ms";
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

log_store::log_store(std::filesystem::path dir, std::uint64_t max_bytes, std::size_t max_open)
    : dir_(std::move(dir)),
      max_bytes_(max_bytes ? max_bytes : 1),
      max_open_(max_open ? max_open : 1) {
    std::filesystem::create_directories(dir_);
}

log_store::~log_store() {
    for (auto& [name, f] : files_) ::close(f.fd);
}

std::filesystem::path log_store::file_for(const std::string& function) const {
    return dir_ / (function + ".log");
}

std::filesystem::path log_store::rotated_for(const std::string& function) const {
    return dir_ / (function + ".log.1");
}

void log_store::set_max_bytes(std::uint64_t max_bytes) {
    max_bytes_ = max_bytes ? max_bytes : 1;
}

void log_store::close_file(std::map<std::string, open_file>::iterator it) {
    ::close(it->second.fd);
    files_.erase(it);
}

void log_store::forget(const std::string& function) {
    if (auto it = files_.find(function); it != files_.end()) close_file(it);
}

int log_store::fd_for(const std::string& function) {
    auto it = files_.find(function);
    if (it != files_.end()) {
        it->second.last_use = ++clock_;
        return it->second.fd;
    }
    if (files_.size() >= max_open_) {  // a bounded number of fds, whatever the number of names
        auto lru = std::min_element(files_.begin(), files_.end(), [](auto& a, auto& b) {
            return a.second.last_use < b.second.last_use;
        });
        close_file(lru);
    }
    int fd = ::open(file_for(function).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        std::fprintf(stderr, "lambench serve: open %s: %s (log lost)\n", file_for(function).c_str(),
                     std::strerror(errno));
        return -1;
    }
    files_.emplace(function, open_file{fd, ++clock_});
    return fd;
}

void log_store::rotate(const std::string& function) {
    forget(function);
    auto current = file_for(function);
    if (::rename(current.c_str(), rotated_for(function).c_str()) != 0) {
        // Keep the disk bounded even then: start the current file over.
        std::fprintf(stderr, "lambench serve: rotate %s: %s (truncating it instead)\n",
                     current.c_str(), std::strerror(errno));
        if (::truncate(current.c_str(), 0) != 0 && errno != ENOENT)
            std::fprintf(stderr, "lambench serve: truncate %s: %s\n", current.c_str(),
                         std::strerror(errno));
    }
}

void log_store::append(const std::string& function, std::string_view text) {
    if (text.empty()) return;
    std::string cut;
    if (text.size() > max_bytes_) {
        // One block over the cap (a tiny cap): keep its end, from a line start, and say so.
        std::string note = "[lambench: " + std::to_string(text.size()) +
                           " bytes written at once exceed log_max_bytes; only the end is kept]\n";
        std::size_t room = max_bytes_ > note.size() ? max_bytes_ - note.size() : 0;
        std::string_view tail = text.substr(text.size() - room);
        if (auto nl = tail.find('\n'); nl != std::string_view::npos && nl + 1 < tail.size())
            tail.remove_prefix(nl + 1);
        cut = note.size() <= max_bytes_ ? note : std::string();
        cut.append(tail);
        text = cut;
    }
    int fd = fd_for(function);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0) {
        auto size = static_cast<std::uint64_t>(st.st_size);
        if (st.st_nlink == 0 || (size > 0 && size + text.size() > max_bytes_)) {
            if (st.st_nlink != 0)
                rotate(function);  // else: removed from under us; reopen
            else
                forget(function);
            fd = fd_for(function);
            if (fd < 0) return;
        }
    }
    while (!text.empty()) {
        ssize_t w = ::write(fd, text.data(), text.size());
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
