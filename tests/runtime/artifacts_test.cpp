// The built hello artifacts, one per profile, run as a Lambda would run them: exec bootstrap
// with AWS_LAMBDA_RUNTIME_API set.
#include <elf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "child.hpp"
#include "runtime_api_server.hpp"

using namespace lambench::runtime::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path hello_dir = LAMBENCH_HELLO_DIR;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

struct elf_facts {
    bool has_interp = false;
    bool has_symtab = false;
};

elf_facts inspect_elf(const fs::path& p) {
    std::string data = read_file(p);
    if (data.size() < sizeof(Elf64_Ehdr) || data.compare(0, 4, ELFMAG) != 0)
        throw std::runtime_error(p.string() + ": not an ELF file");
    Elf64_Ehdr eh;
    std::memcpy(&eh, data.data(), sizeof eh);
    elf_facts facts;
    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph;
        std::memcpy(&ph, data.data() + eh.e_phoff + i * eh.e_phentsize, sizeof ph);
        if (ph.p_type == PT_INTERP) facts.has_interp = true;
    }
    for (unsigned i = 0; i < eh.e_shnum; ++i) {
        Elf64_Shdr sh;
        std::memcpy(&sh, data.data() + eh.e_shoff + i * eh.e_shentsize, sizeof sh);
        if (sh.sh_type == SHT_SYMTAB) facts.has_symtab = true;
    }
    return facts;
}

class HelloArtifact : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(HelloArtifact, AnswersEventsThenExitsWhenTheApiGoesAway) {
    const fs::path bootstrap = hello_dir / GetParam() / "bootstrap";
    ASSERT_TRUE(fs::exists(bootstrap)) << bootstrap << " not built";
    server_options opts;
    opts.go_away_when_drained = true;
    runtime_api_server server(opts);
    server.push({"abc", {}});
    server.push({std::string(100000, 'p'), {}});
    child fn({bootstrap.string()},
             {{"AWS_LAMBDA_RUNTIME_API", server.address()}, {"LAMBDA_TASK_ROOT", child::unset}});
    auto code = fn.exit_code(10s);
    ASSERT_TRUE(code) << "bootstrap did not exit after the Runtime API went away";
    EXPECT_EQ(*code, 1);
    server.wait_for_posts(2, 5s);  // recorded just after being answered
    auto posts = server.posts();
    ASSERT_EQ(posts.size(), 2u) << fn.stderr_text();
    EXPECT_EQ(posts[0].body, R"({"message":"hello","payload_bytes":3})");
    EXPECT_EQ(posts[1].body, R"({"message":"hello","payload_bytes":100000})");
    EXPECT_EQ(posts[0].header("content-type"), "application/json");
}

INSTANTIATE_TEST_SUITE_P(Profiles, HelloArtifact, ::testing::Values("shared", "static", "bundled"));

TEST(HelloStatic, IsStaticallyLinkedStrippedAndSmall) {
    const fs::path bootstrap = hello_dir / "static" / "bootstrap";
    auto facts = inspect_elf(bootstrap);
    EXPECT_FALSE(facts.has_interp) << "static artifact has a PT_INTERP (dynamic loader)";
    EXPECT_FALSE(facts.has_symtab) << "static artifact is not stripped";
    EXPECT_LE(fs::file_size(bootstrap), 2u * 1024 * 1024);
}

TEST(HelloShared, IsDynamicallyLinked) {
    auto facts = inspect_elf(hello_dir / "shared" / "bootstrap");
    EXPECT_TRUE(facts.has_interp);
}

TEST(HelloBundled, CarriesItsLoaderAndLibraries) {
    const fs::path dir = hello_dir / "bundled";
    EXPECT_TRUE(fs::exists(dir / "lib" / "ld-linux-x86-64.so.2"));
    EXPECT_TRUE(fs::exists(dir / "lib" / "libc.so.6"));
    EXPECT_TRUE(fs::exists(dir / "lib" / "libstdc++.so.6"));
    EXPECT_TRUE(fs::exists(dir / "bin" / "hello"));
    auto perms = fs::status(dir / "bootstrap").permissions();
    EXPECT_NE(perms & fs::perms::owner_exec, fs::perms::none);
    std::string script = read_file(dir / "bootstrap");
    EXPECT_EQ(script.rfind("#!/bin/sh\n", 0), 0u);
    EXPECT_NE(script.find("--library-path"), std::string::npos);
}

TEST(HelloBundled, RunsFromLambdaTaskRootWhateverTheWorkingDirectory) {
    // As Lambda runs it: LAMBDA_TASK_ROOT points at the unpacked artifact, $0 is its bootstrap.
    const fs::path dir = hello_dir / "bundled";
    server_options opts;
    opts.go_away_when_drained = true;
    runtime_api_server server(opts);
    server.push({"{}", {}});
    child fn({"/bin/sh", "-c", "cd / && exec \"$0\"", (dir / "bootstrap").string()},
             {{"AWS_LAMBDA_RUNTIME_API", server.address()}, {"LAMBDA_TASK_ROOT", dir.string()}});
    ASSERT_TRUE(fn.exit_code(10s));
    server.wait_for_posts(1, 5s);  // recorded just after being answered
    auto posts = server.posts();
    ASSERT_EQ(posts.size(), 1u) << fn.stderr_text();
    EXPECT_EQ(posts[0].body, R"({"message":"hello","payload_bytes":2})");
}
