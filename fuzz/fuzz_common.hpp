// Helpers shared by the fuzz targets: a private scratch directory per fuzzing process, and a
// loud failure for properties a target checks beyond "no crash".
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace lambench_fuzz {

// A directory of our own under $TMPDIR (else /tmp), removed when the process exits normally.
// libFuzzer may run several processes (-fork/-jobs); each gets its own.
inline const std::filesystem::path& scratch_dir() {
    static const std::filesystem::path dir = [] {
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/lambench-fuzz-XXXXXX";
        if (!::mkdtemp(pattern.data())) {
            std::perror("lambench fuzz: mkdtemp");
            std::abort();
        }
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(scratch_dir(), ec);
        });
        return std::filesystem::path(pattern);
    }();
    return dir;
}

// A property the target checks was violated: print what and why, then crash so libFuzzer keeps
// the input.
[[noreturn]] inline void violated(std::string_view what, std::string_view detail = {}) {
    std::fprintf(stderr, "lambench fuzz: property violated: %.*s\n", static_cast<int>(what.size()),
                 what.data());
    if (!detail.empty())
        std::fprintf(stderr, "  detail (%zu bytes): %.*s\n", detail.size(),
                     static_cast<int>(detail.size() < 2000 ? detail.size() : 2000), detail.data());
    std::abort();
}

// FNV-1a: deterministic per-input choices (flags, splits) that mutate along with the input.
inline std::uint64_t hash_bytes(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    return h;
}

}  // namespace lambench_fuzz
