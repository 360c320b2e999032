#include "aws/zip.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace lambench::aws {
namespace {

namespace fs = std::filesystem;

// 2026-01-01T00:00:00Z: any fixed time would do; it only has to be reproducible.
constexpr time_t fixed_mtime = 1767225600;

struct zip_closer {
    void operator()(zip_t* z) const { zip_discard(z); }
};
struct source_closer {
    void operator()(zip_source_t* s) const { zip_source_free(s); }
};
using zip_ptr = std::unique_ptr<zip_t, zip_closer>;
using source_ptr = std::unique_ptr<zip_source_t, source_closer>;

[[noreturn]] void fail(const std::string& what, zip_error_t* err) {
    const std::string msg = "zip_directory: " + what + ": " + zip_error_strerror(err);
    throw std::runtime_error(msg);
}

void set_attributes(zip_t* z, zip_int64_t idx, mode_t mode, const std::string& name) {
    const auto ui = static_cast<zip_uint64_t>(idx);
    if (zip_file_set_external_attributes(z, ui, 0, ZIP_OPSYS_UNIX,
                                         static_cast<zip_uint32_t>(mode) << 16) < 0)
        fail("zip_file_set_external_attributes(" + name + ")", zip_get_error(z));
    if (zip_file_set_mtime(z, ui, fixed_mtime, 0) < 0)
        fail("zip_file_set_mtime(" + name + ")", zip_get_error(z));
}

}  // namespace

std::vector<std::uint8_t> zip_directory(const std::string& dir_in) {
    std::string dir = dir_in;  // "a/b/" and "a/b" must name entries the same way
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw std::runtime_error("zip_directory: '" + dir + "' is not a directory" +
                                 (ec ? ": " + ec.message() : std::string{}));

    zip_error_t err;
    zip_error_init(&err);
    // The archive is written into this buffer source; keep a reference across zip_close.
    source_ptr buffer(zip_source_buffer_create(nullptr, 0, 0, &err));
    if (!buffer) fail("zip_source_buffer_create", &err);
    zip_ptr archive(zip_open_from_source(buffer.get(), ZIP_TRUNCATE, &err));
    if (!archive) fail("zip_open_from_source", &err);
    zip_source_keep(buffer.get());  // the archive now holds one reference; we hold ours

    std::vector<fs::path> entries;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
        entries.push_back(it->path());
    if (ec) throw std::runtime_error("zip_directory: reading '" + dir + "': " + ec.message());
    std::sort(entries.begin(), entries.end());
    // libzip writes nothing for an archive without entries, and Lambda rejects one anyway.
    if (entries.empty()) throw std::runtime_error("zip_directory: '" + dir + "' is empty");

    // Symlink targets must outlive zip_close, which is when libzip reads the sources.
    std::vector<std::unique_ptr<std::string>> link_targets;
    for (const auto& path : entries) {
        // lexically: fs::relative would resolve a symlink to its target's name.
        const std::string name = path.lexically_relative(dir).generic_string();
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0)
            throw std::runtime_error("zip_directory: lstat(" + path.string() +
                                     "): " + std::strerror(errno));
        zip_int64_t idx = -1;
        if (S_ISDIR(st.st_mode)) {
            idx = zip_dir_add(archive.get(), name.c_str(), ZIP_FL_ENC_UTF_8);
            if (idx < 0) fail("zip_dir_add(" + name + ")", zip_get_error(archive.get()));
        } else if (S_ISLNK(st.st_mode)) {
            std::string target(static_cast<std::size_t>(st.st_size) + 256, '\0');
            const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
            if (n < 0)
                throw std::runtime_error("zip_directory: readlink(" + path.string() +
                                         "): " + std::strerror(errno));
            target.resize(static_cast<std::size_t>(n));
            link_targets.push_back(std::make_unique<std::string>(std::move(target)));
            zip_source_t* src = zip_source_buffer(archive.get(), link_targets.back()->data(),
                                                  link_targets.back()->size(), 0);
            if (!src) fail("zip_source_buffer(" + name + ")", zip_get_error(archive.get()));
            idx = zip_file_add(archive.get(), name.c_str(), src, ZIP_FL_ENC_UTF_8);
            if (idx < 0) {
                zip_source_free(src);
                fail("zip_file_add(" + name + ")", zip_get_error(archive.get()));
            }
            // A link's data is tiny; store it so unzip restores it verbatim.
            zip_set_file_compression(archive.get(), static_cast<zip_uint64_t>(idx), ZIP_CM_STORE,
                                     0);
        } else if (S_ISREG(st.st_mode)) {
            zip_source_t* src = zip_source_file(archive.get(), path.c_str(), 0, -1);
            if (!src) fail("zip_source_file(" + path.string() + ")", zip_get_error(archive.get()));
            idx = zip_file_add(archive.get(), name.c_str(), src, ZIP_FL_ENC_UTF_8);
            if (idx < 0) {
                zip_source_free(src);
                fail("zip_file_add(" + name + ")", zip_get_error(archive.get()));
            }
        } else {
            continue;  // sockets, fifos, devices have no place in a function package
        }
        set_attributes(archive.get(), idx, st.st_mode, name);
    }

    if (zip_close(archive.get()) < 0) fail("zip_close", zip_get_error(archive.get()));
    (void)archive.release();  // zip_close freed it

    zip_stat_t zs;
    zip_stat_init(&zs);
    if (zip_source_stat(buffer.get(), &zs) < 0)
        fail("zip_source_stat", zip_source_error(buffer.get()));
    std::vector<std::uint8_t> out(static_cast<std::size_t>(zs.size));
    if (zip_source_open(buffer.get()) < 0) fail("zip_source_open", zip_source_error(buffer.get()));
    const zip_int64_t n = zip_source_read(buffer.get(), out.data(), out.size());
    zip_source_close(buffer.get());
    if (n < 0 || static_cast<std::size_t>(n) != out.size())
        fail("zip_source_read", zip_source_error(buffer.get()));
    return out;
}

}  // namespace lambench::aws
