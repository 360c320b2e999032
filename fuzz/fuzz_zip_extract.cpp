// Deployment-package extraction (src/service/zip_extract.cpp): the fuzz input is the zip, as
// CreateFunction's Code.ZipFile delivers it, extracted into a fresh directory with small limits.
// Beyond "no crash": extract_zip either refuses with zip_rejected or leaves a tree in which no
// symbolic link, followed as the kernel follows it, leads outside the destination.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "fuzz_common.hpp"
#include "service/zip_extract.hpp"

namespace fs = std::filesystem;
namespace svc = lambench::service;

namespace {

bool inside(const fs::path& p, const fs::path& root) {
    auto r = root.begin(), e = root.end();
    auto i = p.begin();
    for (; r != e; ++r, ++i)
        if (i == p.end() || *i != *r) return false;
    return true;
}

void check_links_stay_inside(const fs::path& dest) {
    std::error_code ec;
    const fs::path root = fs::canonical(dest, ec);
    if (ec) return;  // nothing extracted
    for (auto it = fs::recursive_directory_iterator(dest, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
        if (!it->is_symlink(ec)) continue;
        std::error_code rec;
        const fs::path target = fs::canonical(it->path(), rec);  // the kernel's resolution
        if (rec) continue;  // dangling or a loop: it leads nowhere
        if (!inside(target, root))
            lambench_fuzz::violated("an extracted link resolves outside the package",
                                    it->path().string() + " -> " + target.string());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static std::uint64_t serial = 0;
    std::string_view zip(reinterpret_cast<const char*>(data), size);
    const fs::path dir = lambench_fuzz::scratch_dir() / ("zip-" + std::to_string(serial++));
    const fs::path dest = dir / "out";
    fs::create_directories(dir);

    svc::zip_limits limits;  // small, so that a bomb costs milliseconds, not seconds
    limits.max_zip_bytes = 1024 * 1024;
    limits.max_total_bytes = 4 * 1024 * 1024;
    limits.max_entries = 1000;
    limits.ratio_floor = 64 * 1024;
    try {
        svc::extract_zip(zip, dest, limits);
        check_links_stay_inside(dest);
    } catch (const svc::zip_rejected&) {
    }
    std::error_code ec;
    // Entries may carry modes without owner write or search permission.
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
        std::error_code pec;
        if (it->is_directory(pec) && !it->is_symlink(pec))
            fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, pec);
    }
    ec.clear();
    fs::remove_all(dir, ec);
    if (ec) lambench_fuzz::violated("the extracted tree could not be removed", ec.message());
    return 0;
}
