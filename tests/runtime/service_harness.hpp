// Test support for running the runtime client under the REAL local service. The service child,
// the HTTP client and the zip come from tests/support; what is particular to these tests is here:
// CreateFunction of a zipped executable and the processes running from the service's state.
#pragma once

#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "support/http_client.hpp"
#include "support/serve.hpp"

namespace lambench::runtime::testing {

namespace fs = std::filesystem;

// CreateFunction through the REST API with the (base64) zip as its code.
inline test_support::http_result create_function(const test_support::serve_process& svc,
                                                 const std::string& name,
                                                 const std::string& zip_b64, int memory_mb,
                                                 int timeout_s,
                                                 const std::string& env_json = "{}") {
    std::string body = R"({"FunctionName":")" + name +
                       R"(","Runtime":"provided.al2023","Handler":"unused",)"
                       R"("Role":"arn:aws:iam::000000000000:role/lambench-test",)"
                       R"("MemorySize":)" +
                       std::to_string(memory_mb) + R"(,"Timeout":)" + std::to_string(timeout_s) +
                       R"(,"Environment":{"Variables":)" + env_json + R"(},"Code":{"ZipFile":")" +
                       zip_b64 + R"("}})";
    return test_support::http("POST", svc.url() + "/2015-03-31/functions", body);
}

// Pids of live processes whose executable lies under `dir` (the service unpacks code there).
inline std::vector<pid_t> processes_running_from(const fs::path& dir) {
    // By the executable's inode, not its path: a jailed sandbox runs its code from /var/task
    // in its own mount namespace, where /proc/<pid>/exe names that path, but the file is the
    // one unpacked under `dir` (stat follows the link to it whatever the namespace).
    std::set<std::pair<dev_t, ino_t>> files;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
            files.insert({st.st_dev, st.st_ino});
    }
    std::vector<pid_t> found;
    struct dir_closer {
        void operator()(DIR* d) const { ::closedir(d); }
    };
    std::unique_ptr<DIR, dir_closer> proc(::opendir("/proc"));
    if (!proc) throw std::system_error(errno, std::generic_category(), "opendir /proc");
    while (dirent* e = ::readdir(proc.get())) {
        char* end = nullptr;
        long pid = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0') continue;
        struct stat st {};
        const std::string exe = std::string("/proc/") + e->d_name + "/exe";
        if (::stat(exe.c_str(), &st) == 0 && files.count({st.st_dev, st.st_ino}))
            found.push_back(static_cast<pid_t>(pid));
    }
    return found;
}

}  // namespace lambench::runtime::testing
