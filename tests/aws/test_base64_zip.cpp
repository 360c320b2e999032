// zip_directory (read back with libzip and unzip(1)).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <fstream>

#include "aws/zip.hpp"
#include "test_util.hpp"

using namespace lambench::aws;
using test::temp_dir;

namespace {

struct zip_reader {
    zip_t* z = nullptr;
    explicit zip_reader(std::vector<std::uint8_t>& data) {
        zip_error_t err;
        zip_error_init(&err);
        zip_source_t* src = zip_source_buffer_create(data.data(), data.size(), 0, &err);
        z = zip_open_from_source(src, ZIP_RDONLY, &err);
        if (!z) {
            zip_source_free(src);
            throw std::runtime_error(zip_error_strerror(&err));
        }
    }
    ~zip_reader() { zip_discard(z); }
    zip_reader(const zip_reader&) = delete;
    zip_reader& operator=(const zip_reader&) = delete;

    mode_t mode(const char* name) const {
        const zip_int64_t idx = zip_name_locate(z, name, 0);
        if (idx < 0) throw std::runtime_error(std::string("no entry ") + name);
        zip_uint8_t opsys = 0;
        zip_uint32_t attr = 0;
        zip_file_get_external_attributes(z, static_cast<zip_uint64_t>(idx), 0, &opsys, &attr);
        EXPECT_EQ(opsys, ZIP_OPSYS_UNIX);
        return static_cast<mode_t>(attr >> 16);
    }
    std::string content(const char* name) const {
        zip_file_t* f = zip_fopen(z, name, 0);
        if (!f) throw std::runtime_error(std::string("cannot open ") + name);
        std::string out(4096, '\0');
        const zip_int64_t n = zip_fread(f, out.data(), out.size());
        zip_fclose(f);
        out.resize(static_cast<std::size_t>(n));
        return out;
    }
};

void make_tree(const std::filesystem::path& root) {
    std::filesystem::create_directories(root / "lib" / "sub");
    std::ofstream(root / "bootstrap") << "#!/bin/sh\nexec ./fn\n";
    ::chmod((root / "bootstrap").c_str(), 0755);
    std::ofstream(root / "lib" / "data.txt") << "hello data";
    ::chmod((root / "lib" / "data.txt").c_str(), 0644);
    std::filesystem::create_symlink("data.txt", root / "lib" / "alias.txt");
}

}  // namespace

TEST(zip_directory, keeps_exec_bits_directories_and_symlinks) {
    temp_dir dir;
    make_tree(dir.path());
    auto bytes = zip_directory(dir.path().string());
    ASSERT_GT(bytes.size(), 22u);
    zip_reader zr(bytes);
    EXPECT_EQ(zip_get_num_entries(zr.z, 0), 5);
    EXPECT_EQ(zr.mode("bootstrap"), static_cast<mode_t>(S_IFREG | 0755));
    EXPECT_EQ(zr.mode("lib/data.txt"), static_cast<mode_t>(S_IFREG | 0644));
    EXPECT_TRUE(S_ISDIR(zr.mode("lib/")));
    EXPECT_TRUE(S_ISDIR(zr.mode("lib/sub/")));
    EXPECT_TRUE(S_ISLNK(zr.mode("lib/alias.txt")));
    EXPECT_EQ(zr.content("lib/alias.txt"), "data.txt");
    EXPECT_EQ(zr.content("bootstrap"), "#!/bin/sh\nexec ./fn\n");
}

TEST(zip_directory, unzip_restores_an_executable_bootstrap_and_the_link) {
    if (std::system("command -v unzip >/dev/null 2>&1") != 0) GTEST_SKIP() << "unzip not installed";
    temp_dir dir, out;
    make_tree(dir.path() / "src");
    const auto bytes = zip_directory((dir.path() / "src").string() + "/");
    const auto zip_path = dir.path() / "fn.zip";
    std::ofstream(zip_path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    const std::string cmd = "unzip -q " + zip_path.string() + " -d " + out.path().string();
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_EQ(::access((out.path() / "bootstrap").c_str(), X_OK), 0);
    EXPECT_TRUE(std::filesystem::is_symlink(out.path() / "lib" / "alias.txt"));
    EXPECT_EQ(std::filesystem::read_symlink(out.path() / "lib" / "alias.txt"), "data.txt");
}

TEST(zip_directory, same_tree_gives_same_bytes) {
    temp_dir dir;
    make_tree(dir.path());
    const auto a = zip_directory(dir.path().string());
    ::utimensat(AT_FDCWD, (dir.path() / "bootstrap").c_str(), nullptr, 0);  // touch: mtime changes
    EXPECT_EQ(zip_directory(dir.path().string()), a);
}

TEST(zip_directory, missing_or_empty_directory_throws_naming_it) {
    temp_dir dir;
    try {
        zip_directory((dir.path() / "absent").string());
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("absent"), std::string::npos);
    }
    EXPECT_THROW(zip_directory(dir.path().string()), std::runtime_error);
}
