// Files for tests: a self-removing temporary directory, whole-file reads and writes.
#pragma once

#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "posix/file.hpp"

namespace lambench::test_support {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR (<prefix>-XXXXXX), removed with its contents on destruction.
class temp_dir {
  public:
    temp_dir() : temp_dir("lambench-test") {}
    explicit temp_dir(const std::string& prefix) {
        std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (::mkdtemp(tmpl.data()) == nullptr)
            throw std::system_error(errno, std::generic_category(), "mkdtemp " + tmpl);
        path_ = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

// The whole file; "" when it cannot be opened (a log not written yet reads as empty).
inline std::string read_file(const fs::path& p) {
    return posix::read_file(p).value_or("");
}

// The whole file; throws when it cannot be opened.
inline std::string read_existing_file(const fs::path& p) {
    auto data = posix::read_file(p);
    if (!data) throw std::system_error(errno, std::generic_category(), "cannot read " + p.string());
    return std::move(*data);
}

// Creates or truncates p and writes data (no fsync, no atomic replacement: test fixtures).
inline void write_file(const fs::path& p, const std::string& data) {
    std::ofstream out(p, std::ios::binary);
    out << data;
}

}  // namespace lambench::test_support
