// stream: a streamed response (Lambda response streaming) — N chunks, a delay between them, so
// that time to first byte and time to last byte differ by (N - 1) delays plus the transfer.
// Event: {"chunks": 3, "delay_ms": 100, "bytes": 16, "fail_after": -1}; every field optional.
// Chunk i is "chunk <i>\n" padded with '.' to `bytes` (when longer). With fail_after = K >= 0
// the handler throws after K chunks, and the caller sees the stream end with that error.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <lambench/runtime.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace {

// The integer after "key": in a flat JSON object; `fallback` when absent or not a number.
long field(std::string_view json, std::string_view key, long fallback) {
    std::string quoted = "\"" + std::string(key) + "\"";
    auto at = json.find(quoted);
    if (at == std::string_view::npos) return fallback;
    at = json.find(':', at + quoted.size());
    if (at == std::string_view::npos) return fallback;
    std::string rest(json.substr(at + 1, 32));
    char* end = nullptr;
    long v = std::strtol(rest.c_str(), &end, 10);
    return end == rest.c_str() ? fallback : v;
}

}  // namespace

int main() {
    using namespace lambench::runtime;
    return run_streaming(
        [](const invocation& inv, response_stream& out) {
            const long chunks = std::clamp(field(inv.payload, "chunks", 3), 0L, 100000L);
            const long delay_ms = std::clamp(field(inv.payload, "delay_ms", 100), 0L, 60000L);
            const long bytes = std::clamp(field(inv.payload, "bytes", 0), 0L, 16L * 1024 * 1024);
            const long fail_after = field(inv.payload, "fail_after", -1);
            std::string chunk;
            for (long i = 0; i < chunks; ++i) {
                if (i == fail_after)
                    throw std::runtime_error("failed after " + std::to_string(i) + " chunks");
                if (i > 0 && delay_ms > 0)
                    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
                chunk = "chunk " + std::to_string(i) + "\n";
                if (static_cast<long>(chunk.size()) < bytes)
                    chunk.insert(chunk.size() - 1, static_cast<std::size_t>(bytes) - chunk.size(),
                                 '.');
                if (!out.write(chunk)) return;  // the caller or the size limit ended it
            }
            if (fail_after == chunks)
                throw std::runtime_error("failed after " + std::to_string(chunks) + " chunks");
        },
        "text/plain");
}
