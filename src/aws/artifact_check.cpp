#include "aws/artifact_check.hpp"

#include <sys/stat.h>
#include <zip.h>

#include <algorithm>
#include <array>
#include <compare>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace lambench::aws {

extern const char* const al2023_baseline_text;  // generated from deploy/aws/al2023-baseline.txt

namespace {

namespace fs = std::filesystem;

// ---- ELF64 little-endian, read with bounds checks only
// -------------------------------------------

constexpr std::uint32_t PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
constexpr std::int64_t DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5, DT_STRSZ = 10, DT_SONAME = 14,
                       DT_RPATH = 15, DT_RUNPATH = 29, DT_VERDEF = 0x6ffffffc,
                       DT_VERDEFNUM = 0x6ffffffd, DT_VERNEED = 0x6ffffffe,
                       DT_VERNEEDNUM = 0x6fffffff;
constexpr std::size_t max_entries = 1 << 16;  // loops over untrusted counts stop here

struct malformed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class reader {
  public:
    explicit reader(std::span<const std::uint8_t> b) : bytes_(b) {}
    template <class T>
    T get(std::uint64_t off) const {
        if (off > bytes_.size() || bytes_.size() - off < sizeof(T))
            throw malformed("offset " + std::to_string(off) + " beyond the file's " +
                            std::to_string(bytes_.size()) + " bytes");
        T v{};
        std::memcpy(&v, bytes_.data() + off, sizeof(T));  // x86_64/aarch64 hosts are little-endian
        return v;
    }
    // A NUL-terminated string at off, which must end inside [off, limit).
    std::string str(std::uint64_t off, std::uint64_t limit) const {
        limit = std::min<std::uint64_t>(limit, bytes_.size());
        if (off >= limit) throw malformed("string offset " + std::to_string(off) + " out of range");
        const auto* start = bytes_.data() + off;
        const void* nul = std::memchr(start, 0, limit - off);
        if (!nul) throw malformed("unterminated string at offset " + std::to_string(off));
        return std::string(reinterpret_cast<const char*>(start),
                           static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - start));
    }
    std::size_t size() const { return bytes_.size(); }

  private:
    std::span<const std::uint8_t> bytes_;
};

struct phdr {
    std::uint32_t type;
    std::uint64_t offset, vaddr, filesz;
};

std::vector<std::string> split_path_list(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == ':') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

void read_elf_into(const reader& r, elf_info& info) {
    if (r.size() < 64) throw malformed("shorter than an ELF64 header");
    if (r.get<std::uint8_t>(4) != 2) throw malformed("not ELF64 (ELFCLASS32?)");
    if (r.get<std::uint8_t>(5) != 1) throw malformed("not little-endian");
    const auto e_type = r.get<std::uint16_t>(16);
    info.machine = r.get<std::uint16_t>(18);
    const auto e_phoff = r.get<std::uint64_t>(32);
    const auto e_phentsize = r.get<std::uint16_t>(54);
    const auto e_phnum = r.get<std::uint16_t>(56);
    if (e_type != 2 && e_type != 3) throw malformed("not an executable or shared object");
    if (e_phnum > 0 && e_phentsize < 56) throw malformed("program header entries too small");

    std::vector<phdr> ph;
    for (std::uint64_t i = 0; i < e_phnum; ++i) {
        const std::uint64_t o = e_phoff + i * e_phentsize;
        if (o < e_phoff) throw malformed("program header table overflows");
        ph.push_back({r.get<std::uint32_t>(o), r.get<std::uint64_t>(o + 8),
                      r.get<std::uint64_t>(o + 16), r.get<std::uint64_t>(o + 32)});
    }
    const phdr* dynamic = nullptr;
    for (const auto& p : ph) {
        if (p.type == PT_INTERP) {
            if (p.filesz == 0 || p.filesz > 4096) throw malformed("PT_INTERP of odd size");
            info.interpreter = r.str(p.offset, p.offset + p.filesz);
        } else if (p.type == PT_DYNAMIC) {
            dynamic = &p;
        }
    }
    info.executable = e_type == 2 || !info.interpreter.empty();
    if (!dynamic) return;

    // Dynamic-section addresses are virtual: map them through the PT_LOAD segments.
    auto file_offset = [&ph](std::uint64_t vaddr) -> std::uint64_t {
        for (const auto& p : ph)
            if (p.type == PT_LOAD && vaddr >= p.vaddr && vaddr - p.vaddr < p.filesz)
                return p.offset + (vaddr - p.vaddr);
        throw malformed("address 0x" + [vaddr] {
            std::ostringstream s;
            s << std::hex << vaddr;
            return s.str();
        }() + " is in no loaded segment");
    };

    std::vector<std::pair<std::int64_t, std::uint64_t>> dyn;
    std::uint64_t strtab = 0, strsz = 0, verneed = 0, verneednum = 0, verdef = 0, verdefnum = 0;
    bool have_strtab = false;
    for (std::uint64_t i = 0; i < dynamic->filesz / 16 && i < max_entries; ++i) {
        const auto tag = r.get<std::int64_t>(dynamic->offset + i * 16);
        const auto val = r.get<std::uint64_t>(dynamic->offset + i * 16 + 8);
        if (tag == DT_NULL) break;
        dyn.emplace_back(tag, val);
        switch (tag) {
            case DT_STRTAB:
                strtab = val, have_strtab = true;
                break;
            case DT_STRSZ:
                strsz = val;
                break;
            case DT_VERNEED:
                verneed = val;
                break;
            case DT_VERNEEDNUM:
                verneednum = val;
                break;
            case DT_VERDEF:
                verdef = val;
                break;
            case DT_VERDEFNUM:
                verdefnum = val;
                break;
            default:
                break;
        }
    }
    const bool wants_strings = std::any_of(dyn.begin(), dyn.end(), [](const auto& d) {
        return d.first == DT_NEEDED || d.first == DT_SONAME || d.first == DT_RPATH ||
               d.first == DT_RUNPATH || d.first == DT_VERNEED || d.first == DT_VERDEF;
    });
    if (!wants_strings) return;
    if (!have_strtab) throw malformed("dynamic section without DT_STRTAB");
    const std::uint64_t str_off = file_offset(strtab);
    if (strsz == 0 || strsz > r.size()) throw malformed("DT_STRSZ out of range");
    const std::uint64_t str_end = str_off + strsz;
    auto dstr = [&](std::uint64_t idx) {
        if (idx >= strsz) throw malformed("string index beyond DT_STRSZ");
        return r.str(str_off + idx, str_end);
    };
    for (const auto& [tag, val] : dyn) {
        if (tag == DT_NEEDED) info.needed.push_back(dstr(val));
        if (tag == DT_SONAME) info.soname = dstr(val);
        if (tag == DT_RPATH) info.rpath = split_path_list(dstr(val));
        if (tag == DT_RUNPATH) info.runpath = split_path_list(dstr(val));
    }
    if (verneed) {
        std::uint64_t off = file_offset(verneed);
        for (std::uint64_t i = 0; i < verneednum && i < max_entries; ++i) {
            // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
            const auto cnt = r.get<std::uint16_t>(off + 2);
            const std::string file = dstr(r.get<std::uint32_t>(off + 4));
            std::uint64_t aux = off + r.get<std::uint32_t>(off + 8);
            for (std::uint64_t j = 0; j < cnt && j < max_entries; ++j) {
                // Elf64_Vernaux: hash u32, flags u16, other u16, name u32, next u32
                info.version_needs.push_back({file, dstr(r.get<std::uint32_t>(aux + 8))});
                const auto next = r.get<std::uint32_t>(aux + 12);
                if (next == 0) break;
                aux += next;
            }
            const auto next = r.get<std::uint32_t>(off + 12);
            if (next == 0) break;
            off += next;
        }
    }
    if (verdef) {
        std::uint64_t off = file_offset(verdef);
        for (std::uint64_t i = 0; i < verdefnum && i < max_entries; ++i) {
            // Elf64_Verdef: version u16, flags u16, ndx u16, cnt u16, hash u32, aux u32, next u32;
            // the first Verdaux (name u32, next u32) names the version (flags 1: the file itself).
            const auto flags = r.get<std::uint16_t>(off + 2);
            const auto cnt = r.get<std::uint16_t>(off + 6);
            if (cnt > 0 && !(flags & 1))
                info.version_defs.push_back(
                    dstr(r.get<std::uint32_t>(off + r.get<std::uint32_t>(off + 12))));
            const auto next = r.get<std::uint32_t>(off + 16);
            if (next == 0) break;
            off += next;
        }
    }
}

std::string machine_name(std::uint16_t m) {
    switch (m) {
        case 62:
            return "x86_64";
        case 183:
            return "aarch64";
        case 3:
            return "i386";
        case 40:
            return "arm";
        default:
            return "machine " + std::to_string(m);
    }
}

// ---- the artifact as a tree of files
// --------------------------------------------------------------

constexpr std::uint64_t max_file_bytes = 300ull << 20;  // Lambda's unzipped limit is 250 MB

struct file_entry {
    std::vector<std::uint8_t> head;  // the whole file if ELF or bootstrap, else the first bytes
    bool executable = false;
    std::optional<std::string> symlink;  // target, as stored
};
using tree = std::map<std::string, file_entry>;  // path relative to the artifact root

// "a/./b/../c" -> "a/c"; nullopt when it climbs above the root.
std::optional<std::string> normalize(std::string_view path) {
    std::vector<std::string> parts;
    std::string cur;
    auto flush = [&]() -> bool {
        if (cur.empty() || cur == ".") {
        } else if (cur == "..") {
            if (parts.empty()) return false;
            parts.pop_back();
        } else {
            parts.push_back(cur);
        }
        cur.clear();
        return true;
    };
    for (char c : path) {
        if (c == '/') {
            if (!flush()) return std::nullopt;
        } else {
            cur += c;
        }
    }
    if (!flush()) return std::nullopt;
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
    return out;
}

std::string parent_of(const std::string& rel) {
    const auto slash = rel.rfind('/');
    return slash == std::string::npos ? "" : rel.substr(0, slash);
}

// The file a path in the artifact names, following symlinks that stay inside it.
const file_entry* lookup(const tree& t, const std::string& rel, std::string* resolved = nullptr) {
    std::string path = rel;
    for (int hops = 0; hops < 16; ++hops) {
        auto it = t.find(path);
        if (it == t.end()) return nullptr;
        if (!it->second.symlink) {
            if (resolved) *resolved = path;
            return &it->second;
        }
        const std::string& target = *it->second.symlink;
        std::optional<std::string> next;
        if (target.starts_with("/var/task/"))
            next = normalize(target.substr(10));
        else if (!target.starts_with("/"))
            next = normalize(parent_of(path) + "/" + target);
        if (!next) return nullptr;
        path = *next;
    }
    return nullptr;
}

bool has_elf_magic(std::span<const std::uint8_t> b) {
    return b.size() >= 4 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
}

tree load_directory(const fs::path& dir) {
    tree t;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
        const fs::path& p = it->path();
        const std::string rel = fs::relative(p, dir).generic_string();
        file_entry e;
        if (it->is_symlink()) {
            e.symlink = fs::read_symlink(p).string();
            t.emplace(rel, std::move(e));
            continue;
        }
        if (!it->is_regular_file()) continue;
        struct stat st {};
        if (::stat(p.c_str(), &st) != 0) continue;
        e.executable = (st.st_mode & 0111) != 0;
        std::ifstream in(p, std::ios::binary);
        std::array<char, 4> magic{};
        in.read(magic.data(), magic.size());
        const auto got = static_cast<std::size_t>(in.gcount());
        e.head.assign(magic.begin(), magic.begin() + static_cast<std::ptrdiff_t>(got));
        if ((has_elf_magic(e.head) || rel == "bootstrap" || rel == "SKIPPED") &&
            static_cast<std::uint64_t>(st.st_size) <= max_file_bytes) {
            e.head.resize(static_cast<std::size_t>(st.st_size));
            in.read(reinterpret_cast<char*>(e.head.data() + got),
                    static_cast<std::streamsize>(e.head.size() - got));
            e.head.resize(got + static_cast<std::size_t>(in.gcount()));
        }
        t.emplace(rel, std::move(e));
    }
    if (ec)
        throw std::runtime_error("artifact-check: cannot read " + dir.string() + ": " +
                                 ec.message());
    return t;
}

tree load_zip(const fs::path& file, std::vector<std::string>& reasons) {
    int err = 0;
    std::unique_ptr<zip_t, decltype(&zip_discard)> z(zip_open(file.c_str(), ZIP_RDONLY, &err),
                                                     &zip_discard);
    if (!z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, err);
        std::string msg = zip_error_strerror(&ze);
        zip_error_fini(&ze);
        throw std::runtime_error("artifact-check: cannot open " + file.string() + ": " + msg);
    }
    tree t;
    const zip_int64_t n = zip_get_num_entries(z.get(), 0);
    for (zip_int64_t i = 0; i < n; ++i) {
        zip_stat_t st;
        if (zip_stat_index(z.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0 || !st.name)
            continue;
        std::string name = st.name;
        if (name.ends_with("/")) continue;
        const auto rel = normalize(name);
        if (name.starts_with("/") || !rel || rel->empty()) {
            reasons.push_back("zip entry '" + name + "' escapes the artifact");
            continue;
        }
        zip_uint8_t opsys = 0;
        zip_uint32_t attr = 0;
        zip_file_get_external_attributes(z.get(), static_cast<zip_uint64_t>(i), 0, &opsys, &attr);
        const std::uint32_t mode = opsys == ZIP_OPSYS_UNIX ? attr >> 16 : 0100644;
        file_entry e;
        e.executable = (mode & 0111) != 0;
        const std::uint64_t want = std::min<std::uint64_t>(st.size, max_file_bytes);
        std::unique_ptr<zip_file_t, decltype(&zip_fclose)> f(
            zip_fopen_index(z.get(), static_cast<zip_uint64_t>(i), 0), &zip_fclose);
        if (!f) {
            reasons.push_back("zip entry '" + name + "' cannot be read");
            continue;
        }
        e.head.resize(static_cast<std::size_t>(want));
        const zip_int64_t got = want ? zip_fread(f.get(), e.head.data(), want) : 0;
        e.head.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
        if ((mode & 0170000) == 0120000) e.symlink = std::string(e.head.begin(), e.head.end());
        t.emplace(*rel, std::move(e));
    }
    return t;
}

// ---- the check
// ------------------------------------------------------------------------------------

bool version_at_most(const version_node& need, const version_node& max) {
    return need.prefix == max.prefix &&
           std::is_lteq(std::lexicographical_compare_three_way(
               need.numbers.begin(), need.numbers.end(), max.numbers.begin(), max.numbers.end()));
}

std::string numbers_text(const version_node& v) {
    std::string s;
    for (unsigned n : v.numbers) s += (s.empty() ? "" : ".") + std::to_string(n);
    return s;
}

struct checker {
    const tree& files;
    const al2023_baseline& base;
    artifact_verdict& verdict;
    // Bundled style: the bootstrap runs lib/<loader> --library-path <dir> bin/<name>.
    std::optional<std::string> bundled_library_path;
    std::map<std::string, elf_info> parsed;

    void reason(std::string r) {
        if (std::find(verdict.reasons.begin(), verdict.reasons.end(), r) == verdict.reasons.end())
            verdict.reasons.push_back(std::move(r));
    }

    const elf_info& elf(const std::string& rel, const file_entry& e) {
        auto it = parsed.find(rel);
        if (it != parsed.end()) return it->second;
        return parsed.emplace(rel, read_elf(e.head)).first->second;
    }

    // A directory on Lambda's file system -> a directory of the artifact, if it is one.
    static std::optional<std::string> artifact_dir(const std::string& dir,
                                                   const std::string& origin) {
        if (dir.starts_with("$ORIGIN") || dir.starts_with("${ORIGIN}")) {
            const std::string rest = dir.substr(dir[1] == '{' ? 9 : 7);
            return normalize(origin + "/" + rest);
        }
        if (dir == "/var/task") return std::string{};
        if (dir.starts_with("/var/task/")) return normalize(dir.substr(10));
        return std::nullopt;
    }

    // Where the loader finds `name` for the object at `rel`: "artifact:<path>", "system", or "".
    std::string resolve(const std::string& rel, const elf_info& info, const std::string& name) {
        const std::string origin = parent_of(rel);
        std::vector<std::string> search;
        if (info.runpath.empty())
            for (const auto& d : info.rpath) search.push_back(d);
        if (bundled_library_path) {
            search.push_back("/var/task/" + *bundled_library_path);
        } else {
            for (const auto& d : base.library_path) search.push_back(d);
        }
        for (const auto& d : info.runpath) search.push_back(d);
        for (const auto& d : base.system_dirs) search.push_back(d);
        for (const auto& d : search) {
            if (auto in_artifact = artifact_dir(d, origin)) {
                std::string path = in_artifact->empty() ? name : *in_artifact + "/" + name;
                std::string real;
                if (lookup(files, path, &real)) return "artifact:" + real;
            } else if (std::find(base.system_dirs.begin(), base.system_dirs.end(), d) !=
                           base.system_dirs.end() &&
                       base.libs.count(name)) {
                return "system";
            }
        }
        return "";
    }

    void check_object(const std::string& rel, const file_entry& e, bool is_entry) {
        const elf_info& info = elf(rel, e);
        if (!info.error.empty()) {
            reason(rel + ": not a readable ELF file (" + info.error + ")");
            return;
        }
        const std::string arch = machine_name(info.machine);
        if (!base.architectures.count(arch)) {
            reason(rel + ": built for " + arch + ", which Lambda does not run");
        } else {
            const std::string lambda_arch = arch == "aarch64" ? "arm64" : arch;
            if (verdict.architecture.empty()) verdict.architecture = lambda_arch;
            if (verdict.architecture != lambda_arch)
                reason(rel + ": " + lambda_arch + " among " + verdict.architecture + " files");
        }
        if (is_entry && !info.interpreter.empty() && !base.interpreters.count(info.interpreter))
            reason(rel + " needs the loader " + info.interpreter + " (not on provided.al2023)");

        std::map<std::string, std::string> where;  // needed name -> resolution
        for (const auto& name : info.needed) {
            const std::string r = resolve(rel, info, name);
            where[name] = r;
            if (r.empty()) reason(rel + " needs " + name + " (not on provided.al2023)");
        }
        for (const auto& need : info.version_needs) {
            auto it = where.find(need.file);
            if (it == where.end() || it->second.empty()) continue;  // already reported
            if (it->second.starts_with("artifact:")) {
                const std::string lib = it->second.substr(9);
                const file_entry* le = lookup(files, lib);
                const elf_info& li = elf(lib, *le);
                if (li.error.empty() && std::find(li.version_defs.begin(), li.version_defs.end(),
                                                  need.version) == li.version_defs.end())
                    reason(rel + " needs " + need.version + " from " + lib +
                           ", which does not define it");
                continue;
            }
            const auto& nodes = base.libs.at(need.file);
            const version_node v = parse_version_node(need.version);
            auto max = nodes.find(v.prefix);
            if (v.numbers.empty() || max == nodes.end()) {
                if (max == nodes.end() || max->second != need.version)
                    reason(rel + " needs " + need.version + " from " + need.file +
                           " (not in provided.al2023's " + need.file + ")");
                continue;
            }
            const version_node m = parse_version_node(max->second);
            if (!version_at_most(v, m))
                reason(rel + " needs " + need.version + " > " + numbers_text(m) + " (" + need.file +
                       " on provided.al2023" +
                       (v.prefix == "GLIBC_" ? ", glibc " + base.glibc : std::string{}) + ")");
        }
    }

    void check_static_nss(const std::string& rel, const file_entry& e) {
        const std::string_view text(reinterpret_cast<const char*>(e.head.data()), e.head.size());
        if (text.find("/etc/nsswitch.conf") != std::string_view::npos ||
            text.find("libnss_") != std::string_view::npos)
            verdict.notes.push_back(
                rel +
                ": static glibc with NSS: getaddrinfo reads /etc/nsswitch.conf and may dlopen "
                "the image's libnss_*.so.2 (glibc " +
                base.glibc +
                ") for non-built-in sources; 'files' and 'dns' host lookups are built in");
    }
};

}  // namespace

bool is_elf(std::span<const std::uint8_t> bytes) {
    return has_elf_magic(bytes);
}

elf_info read_elf(std::span<const std::uint8_t> bytes) {
    elf_info info;
    if (!has_elf_magic(bytes)) {
        info.error = "no ELF magic";
        return info;
    }
    try {
        read_elf_into(reader(bytes), info);
    } catch (const malformed& e) {
        info.error = e.what();
    }
    return info;
}

version_node parse_version_node(std::string_view node) {
    version_node v;
    // The numeric tail: digits and dots after the last '_' ("GLIBC_2.2.5", "CXXABI_TM_1").
    const auto us = node.rfind('_');
    const std::string_view tail = us == std::string_view::npos ? node : node.substr(us + 1);
    const bool numeric = !tail.empty() &&
                         std::all_of(tail.begin(), tail.end(),
                                     [](char c) { return (c >= '0' && c <= '9') || c == '.'; }) &&
                         tail.front() != '.' && tail.back() != '.';
    if (!numeric || us == std::string_view::npos) {
        v.prefix = std::string(node);
        return v;
    }
    v.prefix = std::string(node.substr(0, us + 1));
    unsigned cur = 0;
    for (char c : tail) {
        if (c == '.') {
            v.numbers.push_back(cur);
            cur = 0;
        } else {
            cur = cur * 10 + static_cast<unsigned>(c - '0');
            if (cur > 1000000) break;
        }
    }
    v.numbers.push_back(cur);
    return v;
}

al2023_baseline parse_baseline(std::string_view text) {
    al2023_baseline b;
    std::istringstream in{std::string(text)};
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        std::istringstream words(line);
        std::string key, value;
        if (!(words >> key)) continue;
        auto bad = [&](const std::string& why) {
            return std::invalid_argument("baseline line " + std::to_string(lineno) + ": " + why);
        };
        if (!(words >> value)) throw bad("'" + key + "' needs a value");
        if (key == "glibc")
            b.glibc = value;
        else if (key == "arch")
            b.architectures.insert(value);
        else if (key == "interpreter")
            b.interpreters.insert(value);
        else if (key == "file")
            b.files.insert(value);
        else if (key == "library-path")
            b.library_path.push_back(value);
        else if (key == "system-dir")
            b.system_dirs.push_back(value);
        else if (key == "lib") {
            auto& nodes = b.libs[value];
            for (std::string node; words >> node;) {
                const version_node v = parse_version_node(node);
                if (!nodes.emplace(v.prefix, node).second)
                    throw bad("two " + v.prefix + " nodes for " + value);
            }
            continue;
        } else {
            throw bad("unknown directive '" + key + "'");
        }
        if (words >> value) throw bad("'" + key + "' takes one value");
    }
    if (b.glibc.empty() || b.architectures.empty() || b.libs.empty() || b.system_dirs.empty())
        throw std::invalid_argument("baseline: needs glibc, arch, system-dir and lib lines");
    return b;
}

const al2023_baseline& builtin_al2023_baseline() {
    static const al2023_baseline b = parse_baseline(al2023_baseline_text);
    return b;
}

artifact_verdict check_artifact(const fs::path& artifact, const al2023_baseline& base) {
    artifact_verdict verdict;
    std::error_code ec;
    tree files;
    if (fs::is_directory(artifact, ec)) {
        files = load_directory(artifact);
    } else if (fs::is_regular_file(artifact, ec)) {
        files = load_zip(artifact, verdict.reasons);
    } else {
        throw std::runtime_error("artifact-check: " + artifact.string() +
                                 " is neither a directory nor a zip");
    }

    if (const file_entry* skipped = lookup(files, "SKIPPED")) {
        std::string why(skipped->head.begin(), skipped->head.end());
        while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
        verdict.reasons.push_back("profile skipped at build time" +
                                  (why.size() > 4 ? ": " + why : std::string{}));
        return verdict;
    }
    checker c{files, base, verdict, std::nullopt, {}};
    std::string boot_rel;
    const file_entry* boot = lookup(files, "bootstrap", &boot_rel);
    if (!boot) {
        c.reason("no bootstrap at the artifact's root (provided.al2023 runs /var/task/bootstrap)");
    } else {
        if (!boot->executable) c.reason("bootstrap is not executable");
        std::string entry_rel;
        if (has_elf_magic(boot->head)) {
            entry_rel = boot_rel;
        } else if (boot->head.size() >= 2 && boot->head[0] == '#' && boot->head[1] == '!') {
            const std::string script(boot->head.begin(), boot->head.end());
            std::string first = script.substr(2, script.find('\n') - 2);
            std::istringstream words(first);
            std::string interp;
            words >> interp;
            if (!base.files.count(interp))
                c.reason("bootstrap's interpreter " + interp + " is not on provided.al2023");
            // aws-lambda-cpp's packaging: exec "$root/lib/<loader>" --library-path "$root/lib" ...
            const auto loader_at = script.find("/lib/ld-");
            const auto lp_at = script.find("--library-path");
            if (loader_at != std::string::npos && lp_at != std::string::npos) {
                const auto end = script.find_first_of("\" \n", loader_at + 1);
                const std::string loader = script.substr(loader_at + 1, end - loader_at - 1);
                c.bundled_library_path = "lib";
                if (!lookup(files, loader))
                    c.reason("bootstrap runs " + loader + ", which the artifact does not contain");
                else
                    verdict.notes.push_back("bundled: bootstrap runs the artifact's own " + loader +
                                            " with --library-path lib");
            }
        } else {
            c.reason("bootstrap is neither an ELF executable nor a #! script");
        }
        if (!entry_rel.empty()) {
            const elf_info& info = c.elf(entry_rel, *boot);
            if (info.error.empty() && !info.executable)
                c.reason("bootstrap is a shared library, not an executable");
            if (info.error.empty() && info.interpreter.empty() && info.needed.empty()) {
                verdict.notes.push_back(
                    "bootstrap is statically linked: needs nothing from the image");
                c.check_static_nss(entry_rel, *boot);
            }
            c.check_object(entry_rel, *boot, true);
        }
    }
    // Every other ELF file must load too (libraries, plugins, bin/ programs a script runs).
    for (const auto& [rel, e] : files) {
        if (e.symlink || rel == boot_rel || !has_elf_magic(e.head)) continue;
        const bool script_entry = c.bundled_library_path.has_value();
        c.check_object(rel, e, !script_entry && c.elf(rel, e).executable);
    }
    verdict.runnable = verdict.reasons.empty();
    return verdict;
}

}  // namespace lambench::aws
