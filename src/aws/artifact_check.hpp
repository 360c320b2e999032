// Will a function artifact run on Lambda's provided.al2023 (Amazon Linux 2023, glibc 2.34)?
// Reads the ELF files of the artifact (a directory or a zip) with a small ELF64 reader —
// PT_INTERP, DT_NEEDED, DT_RPATH/DT_RUNPATH, the needed and defined symbol versions — and
// compares them with a recorded baseline of the image (deploy/aws/al2023-baseline.txt, embedded
// at build time). Libraries shipped in the artifact satisfy DT_NEEDED where the loader would
// find them (LD_LIBRARY_PATH includes /var/task/lib; a bundled bootstrap passes --library-path).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lambench::aws {

struct artifact_verdict {
    bool runnable = false;
    std::vector<std::string> reasons;  // why not, one line each ("bootstrap needs libpqxx-6.4.so
                                       // (not on provided.al2023)")
    std::vector<std::string> notes;    // true but not blocking (static NSS, ...)
    std::string architecture;          // "x86_64" or "arm64" (Lambda's names); empty if no ELF
};

// What one ELF file asks of the system. `error` is set (and the rest may be partial) when the
// file is not a well-formed ELF64 little-endian object.
struct elf_info {
    std::string error;
    std::uint16_t machine = 0;
    bool executable = false;  // ET_EXEC, or ET_DYN with an interpreter
    std::string interpreter;  // PT_INTERP; empty for static binaries and libraries
    std::string soname;
    std::vector<std::string> needed;
    std::vector<std::string> rpath, runpath;  // split at ':'
    struct version_need {
        std::string file, version;
    };
    std::vector<version_need> version_needs;  // from DT_VERNEED (.gnu.version_r)
    std::vector<std::string> version_defs;    // from DT_VERDEF (.gnu.version_d)
};

bool is_elf(std::span<const std::uint8_t> bytes);
elf_info read_elf(std::span<const std::uint8_t> bytes);

struct al2023_baseline {
    std::string glibc;
    std::set<std::string> architectures, interpreters, files;
    std::vector<std::string> library_path, system_dirs;
    // soname -> version prefix ("GLIBC_", "GLIBCXX_") -> highest version node ("GLIBC_2.34")
    std::map<std::string, std::map<std::string, std::string>> libs;
};

// Parses the baseline format (see deploy/aws/al2023-baseline.txt); throws std::invalid_argument
// naming the line on anything malformed.
al2023_baseline parse_baseline(std::string_view text);
// The baseline compiled into lambench.
const al2023_baseline& builtin_al2023_baseline();

// "GLIBC_2.36" -> {"GLIBC_", {2, 36}}; a node without a numeric tail has no numbers.
struct version_node {
    std::string prefix;
    std::vector<unsigned> numbers;
};
version_node parse_version_node(std::string_view node);

artifact_verdict check_artifact(const std::filesystem::path& artifact_dir_or_zip,
                                const al2023_baseline& baseline);
inline artifact_verdict check_al2023(const std::filesystem::path& artifact_dir_or_zip) {
    return check_artifact(artifact_dir_or_zip, builtin_al2023_baseline());
}

}  // namespace lambench::aws
