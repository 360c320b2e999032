#include "memory_meter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

namespace lambench::service {

namespace {

// "<Key>:   1234 kB" -> bytes, searching `text` for the line that starts with key.
std::optional<std::uint64_t> kb_field(std::string_view text, std::string_view key) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        std::string_view line = text.substr(pos, eol - pos);
        if (line.size() > key.size() && line.substr(0, key.size()) == key &&
            line[key.size()] == ':') {
            std::string_view v = line.substr(key.size() + 1);
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            std::uint64_t n = 0;
            bool any = false;
            while (!v.empty() && v.front() >= '0' && v.front() <= '9') {
                n = n * 10 + static_cast<std::uint64_t>(v.front() - '0');
                v.remove_prefix(1);
                any = true;
            }
            if (!any) return std::nullopt;
            return n * 1024;
        }
        pos = eol + 1;
    }
    return std::nullopt;
}

std::string read_small(const std::string& path) {
    std::string out;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

}  // namespace

std::optional<process_memory> parse_proc_status(const char* text, std::size_t size) {
    std::string_view t(text, size);
    auto rss = kb_field(t, "VmRSS");
    if (!rss) return std::nullopt;
    process_memory m;
    m.hwm_bytes = kb_field(t, "VmHWM").value_or(*rss);
    auto anon = kb_field(t, "RssAnon"), file = kb_field(t, "RssFile"),
         shmem = kb_field(t, "RssShmem");
    if (anon && file && shmem) {
        m.rss_anon_bytes = *anon;
        m.rss_file_bytes = *file;
        m.rss_shmem_bytes = *shmem;
    } else {  // kernels before 4.5 only have VmRSS
        m.rss_anon_bytes = *rss;
    }
    return m;
}

std::optional<process_memory> read_process_memory(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    std::string text = read_small("/proc/" + std::to_string(pid) + "/status");
    if (text.empty()) return std::nullopt;
    return parse_proc_status(text.data(), text.size());
}

std::vector<pid_t> process_tree(pid_t root) {
    std::vector<pid_t> out;
    if (root <= 0) return out;
    out.push_back(root);
    for (std::size_t i = 0; i < out.size() && out.size() < 4096; ++i) {
        std::error_code ec;
        std::string task_dir = "/proc/" + std::to_string(out[i]) + "/task";
        for (auto it = std::filesystem::directory_iterator(task_dir, ec);
             !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
            std::string kids = read_small(it->path().string() + "/children");
            const char* p = kids.c_str();
            while (*p) {
                char* end = nullptr;
                long v = std::strtol(p, &end, 10);
                if (end == p) break;
                auto pid = static_cast<pid_t>(v);
                if (pid > 0 && std::find(out.begin(), out.end(), pid) == out.end())
                    out.push_back(pid);
                p = end;
            }
        }
    }
    return out;
}

std::uint64_t memory_meter::sample(const std::vector<pid_t>& members) {
    std::uint64_t sum = 0;
    for (pid_t p : members)
        if (auto m = read_process_memory(p)) sum += m->peak();
    peak_ = std::max(peak_, sum);
    return sum;
}

}  // namespace lambench::service
