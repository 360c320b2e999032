// Safe extraction of a function's deployment package (libzip). A package is untrusted input:
// entries must stay inside the destination (no absolute paths, no "..", no symlink that points
// outside), and sizes are bounded like Lambda's (50 MB zipped upload, 250 MB unzipped) plus a
// compression-ratio check against decompression bombs. Exec bits come from the Unix external
// attributes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lambench::service {

struct zip_limits {
    std::uint64_t max_zip_bytes = 50ull * 1024 * 1024;     // Lambda direct upload
    std::uint64_t max_total_bytes = 250ull * 1024 * 1024;  // Lambda unzipped limit
    std::uint64_t max_entries = 20000;
    double max_ratio = 1000;                  // uncompressed/compressed, per entry...
    std::uint64_t ratio_floor = 1024 * 1024;  // ...checked only above this many bytes
};

// The package is rejected: what() names the entry and the rule.
struct zip_rejected : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Extracts into dest (created; must not exist or be empty). Returns the unzipped byte count.
std::uint64_t extract_zip(std::string_view zip_bytes, const std::filesystem::path& dest,
                          const zip_limits& limits = {});

}  // namespace lambench::service
