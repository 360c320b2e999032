// The provided.al2023 artifact check: the ELF reader on real and hostile input, the baseline
// format, hand-made artifacts (directories and zips), and — when the functions are built — every
// artifact the build produces: static and bundled runnable, shared not (with the reasons).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "aws/artifact_check.hpp"
#include "aws/zip.hpp"
#include "support/files.hpp"

namespace fs = std::filesystem;
using namespace lambench::aws;

namespace {

std::vector<std::uint8_t> slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}
void write(const fs::path& p, const std::vector<std::uint8_t>& bytes, bool exec = true) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    fs::permissions(p,
                    exec ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write);
}
void write(const fs::path& p, const std::string& text, bool exec = true) {
    write(p, std::vector<std::uint8_t>(text.begin(), text.end()), exec);
}
bool has(const std::vector<std::string>& v, const std::string& needle) {
    return std::any_of(v.begin(), v.end(),
                       [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}
std::string joined(const artifact_verdict& v) {
    std::string s;
    for (const auto& r : v.reasons) s += "\n  reason: " + r;
    for (const auto& n : v.notes) s += "\n  note: " + n;
    return s;
}

// This test program: a dynamically linked x86_64/aarch64 PIE built on Debian 12.
const std::vector<std::uint8_t>& self() {
    static const std::vector<std::uint8_t> bytes = slurp("/proc/self/exe");
    return bytes;
}
fs::path host_lib(const std::string& soname) {
    for (const char* dir : {"/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                            "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"})
        if (fs::exists(fs::path(dir) / soname)) return fs::canonical(fs::path(dir) / soname);
    return {};
}

// A baseline describing this host (every library this program needs, transitively, with the
// newest version node it defines per prefix), to vary one thing at a time.
std::string host_baseline() {
    std::string text =
        "glibc 2.99\narch x86_64\narch aarch64\ninterpreter /lib64/ld-linux-x86-64.so.2\n"
        "interpreter /lib/ld-linux-aarch64.so.1\nfile /bin/sh\nlibrary-path /lib64\n"
        "library-path /var/task/lib\nsystem-dir /lib64\n";
    std::vector<std::string> todo = read_elf(self()).needed;
    std::set<std::string> seen;
    while (!todo.empty()) {
        const std::string name = todo.back();
        todo.pop_back();
        if (!seen.insert(name).second) continue;
        const fs::path p = host_lib(name);
        if (p.empty()) continue;
        const elf_info li = read_elf(slurp(p));
        std::map<std::string, std::pair<std::vector<unsigned>, std::string>> newest;
        for (const auto& d : li.version_defs) {
            const auto v = parse_version_node(d);
            auto& slot = newest[v.prefix];
            if (slot.second.empty() || slot.first < v.numbers) slot = {v.numbers, d};
        }
        text += "lib " + name;
        for (const auto& [prefix, node] : newest) text += " " + node.second;
        text += "\n";
        for (const auto& n : li.needed) todo.push_back(n);
    }
    return text;
}

// Replaces the line starting with `prefix` (or removes it when `with` is empty).
std::string edit_line(std::string text, const std::string& prefix, const std::string& with) {
    const auto at = text.find("\n" + prefix);
    if (at == std::string::npos) throw std::logic_error("no line " + prefix);
    const auto eol = text.find('\n', at + 1);
    text.replace(at + 1, eol - at, with.empty() ? "" : with + "\n");
    return text;
}

}  // namespace

TEST(ArtifactCheck, VersionNodes) {
    auto v = parse_version_node("GLIBC_2.2.5");
    EXPECT_EQ(v.prefix, "GLIBC_");
    EXPECT_EQ(v.numbers, (std::vector<unsigned>{2, 2, 5}));
    v = parse_version_node("GLIBCXX_3.4.29");
    EXPECT_EQ(v.prefix, "GLIBCXX_");
    EXPECT_EQ(v.numbers, (std::vector<unsigned>{3, 4, 29}));
    v = parse_version_node("CXXABI_TM_1");
    EXPECT_EQ(v.prefix, "CXXABI_TM_");
    EXPECT_EQ(v.numbers, (std::vector<unsigned>{1}));
    v = parse_version_node("GLIBC_PRIVATE");
    EXPECT_EQ(v.prefix, "GLIBC_PRIVATE");
    EXPECT_TRUE(v.numbers.empty());
    for (const char* odd : {"", "_", "GLIBC_", "GLIBC_2.", "GLIBC_.2", "9999999999999999999"})
        EXPECT_NO_THROW(parse_version_node(odd)) << odd;
}

TEST(ArtifactCheck, BuiltinBaselineIsAl2023) {
    const auto& b = builtin_al2023_baseline();
    EXPECT_EQ(b.glibc, "2.34");
    EXPECT_EQ(b.libs.at("libc.so.6").at("GLIBC_"), "GLIBC_2.34");
    EXPECT_EQ(b.libs.at("libstdc++.so.6").at("GLIBCXX_"), "GLIBCXX_3.4.29");
    EXPECT_EQ(b.libs.at("libstdc++.so.6").at("CXXABI_"), "CXXABI_1.3.13");
    EXPECT_TRUE(b.interpreters.count("/lib64/ld-linux-x86-64.so.2"));
    EXPECT_FALSE(b.libs.count("libpq.so.5"));
    EXPECT_NE(std::find(b.library_path.begin(), b.library_path.end(), "/var/task/lib"),
              b.library_path.end());
}

TEST(ArtifactCheck, MalformedBaselinesAreRefusedWithTheLine) {
    EXPECT_THROW(parse_baseline(""), std::invalid_argument);
    try {
        parse_baseline("glibc 2.34\nfrobnicate x\n");
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
    }
    EXPECT_THROW(parse_baseline("glibc\n"), std::invalid_argument);
    EXPECT_THROW(parse_baseline("glibc 2.34 2.35\n"), std::invalid_argument);
    EXPECT_THROW(parse_baseline("lib libc.so.6 GLIBC_2.34 GLIBC_2.35\n"), std::invalid_argument);
}

TEST(ArtifactCheck, ReadsThisProgramsOwnElf) {
    const elf_info info = read_elf(self());
    ASSERT_EQ(info.error, "");
    EXPECT_TRUE(info.executable);
    EXPECT_TRUE(info.interpreter.starts_with("/lib")) << info.interpreter;
    EXPECT_TRUE(has(info.needed, "libc.so.6"));
    EXPECT_TRUE(has(info.needed, "libstdc++.so.6"));
    bool glibc = false, glibcxx = false;
    for (const auto& n : info.version_needs) {
        glibc = glibc || (n.file == "libc.so.6" && n.version.starts_with("GLIBC_2."));
        glibcxx = glibcxx || (n.file == "libstdc++.so.6" && n.version.starts_with("GLIBCXX_3.4"));
    }
    EXPECT_TRUE(glibc);
    EXPECT_TRUE(glibcxx);
    const fs::path libc = host_lib("libc.so.6");
    ASSERT_FALSE(libc.empty());
    const elf_info li = read_elf(slurp(libc));
    ASSERT_EQ(li.error, "");
    EXPECT_EQ(li.soname, "libc.so.6");
    EXPECT_TRUE(has(li.version_defs, "GLIBC_2.34"));
    EXPECT_TRUE(has(li.version_defs, "GLIBC_2.2.5") || has(li.version_defs, "GLIBC_2.17"));
}

// Every prefix of a real binary, and bytes flipped at random in its headers, dynamic section and
// version tables: an error or a partial answer, never a crash or a hang.
TEST(ArtifactCheck, HostileElfNeverCrashes) {
    const auto& good = self();
    for (std::size_t n = 0; n < std::min<std::size_t>(good.size(), 8192); n += 7) {
        std::vector<std::uint8_t> cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        (void)read_elf(cut);
    }
    EXPECT_NE(read_elf(std::vector<std::uint8_t>(good.begin(), good.begin() + 100)).error, "");
    std::mt19937 rng(11);
    const std::size_t span = std::min<std::size_t>(good.size(), 16384);
    for (int i = 0; i < 3000; ++i) {
        auto bad = good;
        for (int k = 0; k < 4; ++k) bad[rng() % span] = static_cast<std::uint8_t>(rng());
        (void)read_elf(bad);
    }
    // Bogus offsets, named: e_phoff far away, a huge e_phnum, PT_DYNAMIC pointing past the end.
    auto far = good;
    for (int b = 0; b < 8; ++b) far[32 + b] = 0xff;
    EXPECT_NE(read_elf(far).error, "");
    auto many = good;
    many[56] = many[57] = 0xff;
    EXPECT_NE(read_elf(many).error, "");
    auto elf32 = good;
    elf32[4] = 1;
    EXPECT_NE(read_elf(elf32).error.find("ELF64"), std::string::npos);
    EXPECT_EQ(read_elf(std::vector<std::uint8_t>{}).error, "no ELF magic");
}

TEST(ArtifactCheck, HandMadeArtifacts) {
    lambench::test_support::temp_dir tmp;
    const std::string host = host_baseline();
    const auto base = parse_baseline(host);

    // No bootstrap.
    fs::create_directories(tmp.path() / "empty");
    auto v = check_artifact(tmp.path() / "empty", base);
    EXPECT_FALSE(v.runnable);
    EXPECT_TRUE(has(v.reasons, "no bootstrap")) << joined(v);

    // This program as bootstrap: runnable where its own libraries are...
    write(tmp.path() / "dyn/bootstrap", self());
    v = check_artifact(tmp.path() / "dyn", base);
    EXPECT_TRUE(v.runnable) << joined(v) << "\n" << host;
    EXPECT_FALSE(v.architecture.empty());
    // ...not where glibc is older than what it needs, nor without libstdc++.
    const auto old_glibc =
        parse_baseline(edit_line(host, "lib libc.so.6", "lib libc.so.6 GLIBC_2.2"));
    v = check_artifact(tmp.path() / "dyn", old_glibc);
    EXPECT_FALSE(v.runnable);
    EXPECT_TRUE(has(v.reasons, "bootstrap needs GLIBC_2.")) << joined(v);
    EXPECT_TRUE(has(v.reasons, " > 2.2 (libc.so.6 on provided.al2023, glibc 2.99)")) << joined(v);
    const auto no_cxx = parse_baseline(edit_line(host, "lib libstdc++.so.6", ""));
    v = check_artifact(tmp.path() / "dyn", no_cxx);
    EXPECT_TRUE(has(v.reasons, "bootstrap needs libstdc++.so.6 (not on provided.al2023)"))
        << joined(v);
    // An older libstdc++ on the image: the GLIBCXX_ node is named.
    const auto old_cxx = parse_baseline(
        edit_line(host, "lib libstdc++.so.6", "lib libstdc++.so.6 GLIBCXX_3.4 CXXABI_1.3"));
    v = check_artifact(tmp.path() / "dyn", old_cxx);
    EXPECT_TRUE(has(v.reasons, "bootstrap needs GLIBCXX_3.4.")) << joined(v);
    // Shipping libstdc++ in lib/ (on Lambda's LD_LIBRARY_PATH) satisfies it.
    const fs::path cxx = host_lib("libstdc++.so.6");
    ASSERT_FALSE(cxx.empty());
    write(tmp.path() / "dyn/lib/libstdc++.so.6", slurp(cxx));
    v = check_artifact(tmp.path() / "dyn", no_cxx);
    EXPECT_TRUE(v.runnable) << joined(v);
    // A zip of the same tree gets the same verdicts.
    const auto zip = zip_directory((tmp.path() / "dyn").string());
    write(tmp.path() / "dyn.zip", zip, false);
    auto vz = check_artifact(tmp.path() / "dyn.zip", no_cxx);
    EXPECT_TRUE(vz.runnable) << joined(vz);
    vz = check_artifact(tmp.path() / "dyn.zip", old_glibc);
    EXPECT_FALSE(vz.runnable);
    EXPECT_TRUE(has(vz.reasons, "bootstrap needs GLIBC_2.")) << joined(vz);
    // An unknown interpreter.
    const auto no_loader = parse_baseline(edit_line(edit_line(host, "interpreter /lib64/", ""),
                                                    "interpreter /lib/ld-linux-aarch64", ""));
    v = check_artifact(tmp.path() / "dyn", no_loader);
    EXPECT_TRUE(has(v.reasons, "bootstrap needs the loader /lib")) << joined(v);

    // Not executable; a script with a shell the image lacks; garbage; a truncated ELF.
    write(tmp.path() / "noexec/bootstrap", self(), false);
    EXPECT_TRUE(has(check_artifact(tmp.path() / "noexec", base).reasons, "not executable"));
    write(tmp.path() / "zsh/bootstrap", std::string("#!/bin/zsh\nexec ./bin/x\n"));
    EXPECT_TRUE(has(check_artifact(tmp.path() / "zsh", base).reasons,
                    "interpreter /bin/zsh is not on provided.al2023"));
    write(tmp.path() / "junk/bootstrap", std::string("MZ\x90\x00 not for Linux"));
    EXPECT_TRUE(has(check_artifact(tmp.path() / "junk", base).reasons, "neither an ELF"));
    write(tmp.path() / "cut/bootstrap",
          std::vector<std::uint8_t>(self().begin(), self().begin() + 2000));
    v = check_artifact(tmp.path() / "cut", base);
    EXPECT_FALSE(v.runnable);
    EXPECT_TRUE(has(v.reasons, "bootstrap: not a readable ELF file")) << joined(v);
    // A broken library in lib/ is found too.
    write(tmp.path() / "dyn2/bootstrap", self());
    write(tmp.path() / "dyn2/lib/libbroken.so",
          std::vector<std::uint8_t>(self().begin(), self().begin() + 64));
    EXPECT_TRUE(has(check_artifact(tmp.path() / "dyn2", base).reasons,
                    "lib/libbroken.so: not a readable ELF"));

    // A profile skipped at build time.
    write(tmp.path() / "skipped/SKIPPED", std::string("no static POCO in Debian\n"), false);
    v = check_artifact(tmp.path() / "skipped", base);
    EXPECT_FALSE(v.runnable);
    EXPECT_TRUE(has(v.reasons, "skipped at build time: no static POCO in Debian")) << joined(v);

    // Neither a directory nor a zip.
    EXPECT_THROW(check_artifact(tmp.path() / "missing", base), std::runtime_error);
    write(tmp.path() / "notzip", std::string("hello"), false);
    EXPECT_THROW(check_artifact(tmp.path() / "notzip", base), std::runtime_error);
}

// Every artifact of the functions build, against the recorded AL2023 baseline.
TEST(ArtifactCheck, EveryBuiltFunctionArtifact) {
    // LAMBENCH_TEST_FUNCTIONS_DIR points the test at another build's artifacts.
    const char* other = std::getenv("LAMBENCH_TEST_FUNCTIONS_DIR");
    const fs::path functions = other && *other ? fs::path(other) : fs::path(LAMBENCH_FUNCTIONS_DIR);
    if (!fs::exists(functions / "hello" / "static" / "bootstrap"))
        GTEST_SKIP() << "functions not built (LAMBENCH_BUILD_FUNCTIONS=OFF)";
    int checked = 0;
    for (const auto& fn : fs::directory_iterator(functions)) {
        for (const std::string profile : {"shared", "static", "bundled"}) {
            const fs::path dir = fn.path() / profile;
            if (!fs::exists(dir / "bootstrap")) continue;
            ++checked;
            const artifact_verdict v = check_al2023(dir);
            const std::string name = fn.path().filename().string() + "/" + profile;
            if (profile == "static") {
                EXPECT_TRUE(v.runnable) << name << joined(v);
                EXPECT_TRUE(has(v.notes, "statically linked")) << name;
                if (name.starts_with("items-")) {
                    EXPECT_TRUE(has(v.notes, "static glibc with NSS")) << name << joined(v);
                }
            } else if (profile == "bundled") {
                EXPECT_TRUE(v.runnable) << name << joined(v);
                EXPECT_TRUE(has(v.notes, "bundled")) << name << joined(v);
            } else if (name.starts_with("items-")) {
                EXPECT_FALSE(v.runnable) << name << joined(v);
            }
        }
    }
    EXPECT_GE(checked, 10);
    // The reasons name the library and the versions.
    auto pqxx = check_al2023(functions / "items-libpqxx" / "shared");
    EXPECT_TRUE(has(pqxx.reasons, "bootstrap needs libpqxx-6.4.so (not on provided.al2023)"))
        << joined(pqxx);
    auto libpq = check_al2023(functions / "items-libpq" / "shared");
    EXPECT_TRUE(has(libpq.reasons, "bootstrap needs libpq.so.5 (not on provided.al2023)"))
        << joined(libpq);
}
