#include "driver/report_line.hpp"

#include <charconv>
#include <limits>
#include <string>

namespace lambench::driver {

namespace {

// Value after "<key>: " in the line; the matched text is blanked so that a shorter key that
// is a suffix of a longer one ("Duration" in "Billed Duration") cannot match it later. Callers
// therefore ask for the longer keys first.
std::optional<double> take(std::string& line, std::string_view key) {
    const std::string needle = std::string(key) + ": ";
    const std::size_t pos = line.find(needle);
    if (pos == std::string::npos) return std::nullopt;
    const std::size_t at = pos + needle.size();
    double value = 0;
    auto [end, ec] = std::from_chars(line.data() + at, line.data() + line.size(), value);
    if (ec != std::errc()) return std::nullopt;
    line.replace(pos, static_cast<std::size_t>(end - line.data()) - pos,
                 static_cast<std::size_t>(end - line.data()) - pos, '#');
    return value;
}

// Text after "<key>: " up to the next tab (or the end); "" when the key is absent. Only the
// line's own fields are searched: the key must start the line's field (after a tab or space).
std::string take_text(const std::string& line, std::string_view key) {
    const std::string needle = std::string(key) + ": ";
    for (std::size_t pos = line.find(needle); pos != std::string::npos;
         pos = line.find(needle, pos + 1)) {
        if (pos > 0 && line[pos - 1] != '\t' && line[pos - 1] != ' ') continue;
        const std::size_t at = pos + needle.size();
        // Tab-separated (Lambda): up to the next tab; space-separated: one word.
        const bool tabs = line.find('\t') != std::string::npos;
        const std::size_t end = line.find(tabs ? '\t' : ' ', at);
        std::string v = line.substr(at, end == std::string::npos ? std::string::npos : end - at);
        while (!v.empty() && v.back() == ' ') v.pop_back();
        return v;
    }
    return {};
}

}  // namespace

std::optional<report_metrics> parse_report_line(std::string_view tail) {
    const std::size_t start = tail.rfind("REPORT RequestId:");
    if (start == std::string_view::npos) return std::nullopt;
    std::string_view line = tail.substr(start);
    if (auto eol = line.find('\n'); eol != std::string_view::npos) line = line.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    report_metrics m;
    std::string_view id = line.substr(std::string_view("REPORT RequestId:").size());
    while (!id.empty() && id.front() == ' ') id.remove_prefix(1);
    m.request_id = std::string(id.substr(0, id.find_first_of("\t ")));

    std::string rest(line);
    m.status = take_text(rest, "Status");
    m.error_type = take_text(rest, "Error Type");
    auto billed = take(rest, "Billed Duration");
    auto init = take(rest, "Init Duration");
    auto used = take(rest, "Max Memory Used");
    auto size = take(rest, "Memory Size");
    auto duration = take(rest, "Duration");
    if (!duration || !billed || !size || !used) return std::nullopt;
    // "Memory Size: 1e10" (or inf, nan, -1) is not a memory size, and converting it to int is UB.
    if (!(*size >= 0 && *size <= std::numeric_limits<int>::max())) return std::nullopt;
    m.duration_ms = *duration;
    m.billed_ms = *billed;
    m.memory_size_mb = static_cast<int>(*size);
    m.max_memory_mb = *used;
    m.init_ms = init;
    return m;
}

}  // namespace lambench::driver
