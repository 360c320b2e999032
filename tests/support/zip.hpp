// Zips for tests, built with libzip: exact entry names and Unix modes, including the hostile ones
// a service must refuse, and the one Lambda wants (an executable `bootstrap`).
#pragma once

#include <zip.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/files.hpp"

namespace lambench::test_support {

struct zip_entry {
    std::string name;
    std::string data;
    unsigned mode = 0100644;  // st_mode, stored in the Unix external attributes
};

// A zip (its bytes) with exactly the given entries, names and modes, in order.
inline std::string make_zip(const std::vector<zip_entry>& entries) {
    temp_dir tmp("lambench-zip");
    const fs::path file = tmp.path() / "x.zip";
    int err = 0;
    zip_t* za = zip_open(file.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (za == nullptr) throw std::runtime_error("zip_open failed: " + std::to_string(err));
    for (const auto& e : entries) {
        // The buffers stay alive (and unfreed: freep = 0) until zip_close reads them.
        zip_source_t* src = zip_source_buffer(za, e.data.data(), e.data.size(), 0);
        zip_int64_t idx =
            src != nullptr ? zip_file_add(za, e.name.c_str(), src, ZIP_FL_ENC_UTF_8) : -1;
        if (idx < 0) {
            if (src != nullptr) zip_source_free(src);
            zip_discard(za);
            throw std::runtime_error("zip_file_add failed for " + e.name);
        }
        zip_file_set_external_attributes(za, static_cast<zip_uint64_t>(idx), 0, ZIP_OPSYS_UNIX,
                                         static_cast<zip_uint32_t>(e.mode) << 16);
    }
    if (zip_close(za) != 0) {
        zip_discard(za);
        throw std::runtime_error("zip_close failed");
    }
    return read_existing_file(file);
}

// A zip holding the given executable as `bootstrap` (mode 0755): what CreateFunction wants.
inline std::string zip_bootstrap(const fs::path& executable) {
    return make_zip({{"bootstrap", read_existing_file(executable), 0100755}});
}

}  // namespace lambench::test_support
