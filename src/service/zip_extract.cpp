#include "zip_extract.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <cerrno>
#include <memory>
#include <system_error>
#include <vector>

#include "posix/unique_fd.hpp"

namespace lambench::service {

namespace fs = std::filesystem;

namespace {

struct archive_closer {
    void operator()(zip_t* z) const { zip_discard(z); }
};
struct file_closer {
    void operator()(zip_file_t* f) const { zip_fclose(f); }
};

using posix::unique_fd;

// Lexically normalised relative path, or empty when it would leave the root.
fs::path confined(const fs::path& rel) {
    fs::path out;
    for (const auto& part : rel) {
        if (part == "." || part.empty()) continue;
        if (part == "..") {
            if (out.empty()) return {};
            out = out.parent_path();
            continue;
        }
        out /= part;
    }
    return out;
}

bool inside(const fs::path& root, const fs::path& p) {
    auto r = root.lexically_normal().string();
    auto s = p.lexically_normal().string();
    return s == r || (s.size() > r.size() && s.compare(0, r.size(), r) == 0 && s[r.size()] == '/');
}

// Follows `target` from the directory `cur` (components below the root) the way the kernel
// would: component by component, each symlink already on disk replaced by its own resolution
// before a following ".." applies. False when any step leaves the root, a link is absolute, or
// links nest more than 40 deep (the kernel's own limit). Lexical checks alone miss chains: a
// link to ".." ×20 makes "link/../../etc/shadow" look inside while it is not.
bool resolves_inside(const fs::path& root, std::vector<std::string>& cur, const fs::path& target,
                     int& hops) {
    if (target.is_absolute()) return false;
    for (const auto& part : target) {
        const std::string p = part.string();
        if (p.empty() || p == ".") continue;
        if (p == "..") {
            if (cur.empty()) return false;
            cur.pop_back();
            continue;
        }
        cur.push_back(p);
        fs::path full = root;
        for (const auto& c : cur) full /= c;
        struct stat st {};
        if (::lstat(full.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) continue;
        if (++hops > 40) return false;
        std::error_code ec;
        fs::path link = fs::read_symlink(full, ec);
        if (ec) return false;
        cur.pop_back();
        if (!resolves_inside(root, cur, link, hops)) return false;
    }
    return true;
}

}  // namespace

namespace {
std::uint64_t extract(std::string_view zip_bytes, const fs::path& dest, const zip_limits& limits);
}  // namespace

std::uint64_t extract_zip(std::string_view zip_bytes, const fs::path& dest,
                          const zip_limits& limits) {
    try {
        return extract(zip_bytes, dest, limits);
    } catch (const fs::filesystem_error& e) {
        // A hostile layout (a link cycle under a later entry's path, say) surfaces as a path
        // error: it is the package's fault, so it is refused like any other bad package.
        throw zip_rejected(std::string("zip cannot be extracted: ") + e.code().message() + " at '" +
                           e.path1().lexically_relative(dest).string() + "'");
    }
}

namespace {

std::uint64_t extract(std::string_view zip_bytes, const fs::path& dest, const zip_limits& limits) {
    if (zip_bytes.size() > limits.max_zip_bytes)
        throw zip_rejected("zip file is " + std::to_string(zip_bytes.size()) +
                           " bytes, over the limit of " + std::to_string(limits.max_zip_bytes));
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(zip_bytes.data(), zip_bytes.size(), 0, &err);
    if (!src) throw zip_rejected(std::string("cannot read zip: ") + zip_error_strerror(&err));
    std::unique_ptr<zip_t, archive_closer> za(
        zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err));
    if (!za) {
        zip_source_free(src);
        std::string msg = std::string("not a valid zip file: ") + zip_error_strerror(&err);
        zip_error_fini(&err);
        throw zip_rejected(msg);
    }
    zip_error_fini(&err);

    zip_int64_t n = zip_get_num_entries(za.get(), 0);
    if (n < 0 || static_cast<std::uint64_t>(n) > limits.max_entries)
        throw zip_rejected("zip has too many entries (" + std::to_string(n) + ")");

    fs::create_directories(dest);
    const fs::path root = fs::canonical(dest);

    // First pass: validate every name and declared size before writing anything.
    std::uint64_t declared_total = 0;
    for (zip_int64_t i = 0; i < n; ++i) {
        zip_stat_t st;
        if (zip_stat_index(za.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0)
            throw zip_rejected("cannot stat zip entry " + std::to_string(i));
        std::string name = st.name ? st.name : "";
        if (name.empty() || name.front() == '/' || name.find('\\') != std::string::npos ||
            name.find('\0') != std::string::npos)
            throw zip_rejected("zip entry '" + name + "' has an absolute or invalid path");
        for (const auto& part : fs::path(name))
            if (part == "..") throw zip_rejected("zip entry '" + name + "' contains '..'");
        declared_total += st.size;
        if (declared_total > limits.max_total_bytes)
            throw zip_rejected("unzipped size exceeds " + std::to_string(limits.max_total_bytes) +
                               " bytes (at entry '" + name + "')");
        if (st.size > limits.ratio_floor &&
            static_cast<double>(st.size) > limits.max_ratio * static_cast<double>(st.comp_size + 1))
            throw zip_rejected("zip entry '" + name + "' has a suspicious compression ratio (" +
                               std::to_string(st.size) + " from " + std::to_string(st.comp_size) +
                               " bytes)");
    }

    std::uint64_t written_total = 0;
    std::vector<char> buf(64 * 1024);
    std::vector<fs::path> links;  // relative to root, checked again once every entry exists
    for (zip_int64_t i = 0; i < n; ++i) {
        auto idx = static_cast<zip_uint64_t>(i);
        zip_stat_t st;
        zip_stat_index(za.get(), idx, 0, &st);
        std::string name = st.name;
        fs::path rel = confined(name);
        if (rel.empty()) continue;  // "./" entries
        fs::path target = root / rel;

        zip_uint8_t opsys = 0;
        zip_uint32_t attr = 0;
        zip_file_get_external_attributes(za.get(), idx, 0, &opsys, &attr);
        mode_t mode = opsys == ZIP_OPSYS_UNIX ? static_cast<mode_t>(attr >> 16) : 0;
        bool is_dir = name.back() == '/' || S_ISDIR(mode);

        // The parent must resolve (through any symlinks already extracted) inside the root.
        fs::create_directories(target.parent_path());
        fs::path parent = fs::canonical(target.parent_path());
        if (!inside(root, parent))
            throw zip_rejected("zip entry '" + name + "' would be written outside the package");
        target = parent / target.filename();

        if (is_dir) {
            fs::create_directories(target);
            if (!inside(root, fs::canonical(target)))
                throw zip_rejected("zip entry '" + name + "' escapes the package");
            continue;
        }

        std::unique_ptr<zip_file_t, file_closer> zf(zip_fopen_index(za.get(), idx, 0));
        if (!zf) throw zip_rejected("cannot open zip entry '" + name + "'");

        if (S_ISLNK(mode)) {
            std::string link;
            zip_int64_t got;
            while ((got = zip_fread(zf.get(), buf.data(), buf.size())) > 0) {
                link.append(buf.data(), static_cast<std::size_t>(got));
                if (link.size() > 4096)
                    throw zip_rejected("symlink '" + name + "' target too long");
            }
            if (got < 0) throw zip_rejected("zip entry '" + name + "' is corrupt");
            if (link.empty()) throw zip_rejected("symlink '" + name + "' has an empty target");
            fs::path lt(link);
            fs::path resolved = lt.is_absolute() ? lt : (parent / lt).lexically_normal();
            if (lt.is_absolute() || !inside(root, resolved))
                throw zip_rejected("symlink '" + name + "' -> '" + link + "' escapes the package");
            if (::symlink(link.c_str(), target.c_str()) != 0)
                throw std::system_error(errno, std::generic_category(),
                                        "symlink " + target.string());
            links.push_back(target.lexically_relative(root));
            continue;
        }

        // O_NOFOLLOW|O_EXCL: never write through a symlink or over an existing file.
        unique_fd out(
            ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!out) {
            if (errno == EEXIST || errno == ELOOP)
                throw zip_rejected("zip entry '" + name + "' is duplicated or overwrites a link");
            throw std::system_error(errno, std::generic_category(), "open " + target.string());
        }
        zip_int64_t got;
        while ((got = zip_fread(zf.get(), buf.data(), buf.size())) > 0) {
            written_total += static_cast<std::uint64_t>(got);
            // Declared sizes can lie: count what is really inflated.
            if (written_total > limits.max_total_bytes)
                throw zip_rejected("unzipped size exceeds " +
                                   std::to_string(limits.max_total_bytes) + " bytes");
            const char* p = buf.data();
            auto left = static_cast<std::size_t>(got);
            while (left > 0) {
                ssize_t w = ::write(out.get(), p, left);
                if (w < 0) {
                    if (errno == EINTR) continue;
                    throw std::system_error(errno, std::generic_category(),
                                            "write " + target.string());
                }
                p += w;
                left -= static_cast<std::size_t>(w);
            }
        }
        if (got < 0) throw zip_rejected("zip entry '" + name + "' is corrupt");
        mode_t perm = mode ? (mode & 0777) : 0644;
        perm |= 0400;  // the service must be able to read what it extracted
        if (::fchmod(out.get(), perm) != 0)
            throw std::system_error(errno, std::generic_category(), "fchmod " + target.string());
    }
    // Every link resolved as the kernel will, now that all of them exist: a chain of links
    // (each harmless alone, or made harmful by a later entry) must not lead outside.
    for (const auto& l : links) {
        std::vector<std::string> cur;
        for (const auto& c : l.parent_path()) cur.push_back(c.string());
        int hops = 0;
        std::error_code ec;
        fs::path target = fs::read_symlink(root / l, ec);
        if (ec || !resolves_inside(root, cur, target, hops))
            throw zip_rejected("symlink '" + l.string() + "' -> '" + target.string() +
                               "' resolves outside the package (through a chain of links)");
    }
    return written_total;
}

}  // namespace

}  // namespace lambench::service
